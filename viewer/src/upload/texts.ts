/** Vietnamese and English texts of the upload page; the language itself is the viewer's (../i18n.ts). */
import type { Label } from '../api.ts';
import { currentLang } from '../i18n.ts';

const texts = {
  pageTitle: { vi: 'Tải lớp bản đồ lên', en: 'Upload a map layer' },
  backToMap: { vi: 'Về bản đồ', en: 'Back to the map' },
  language: { vi: 'English', en: 'Tiếng Việt' },
  languageLabel: { vi: 'Chuyển sang tiếng Anh', en: 'Switch to Vietnamese' },
  tokenTitle: { vi: 'Mã truy cập', en: 'Access token' },
  tokenLabel: { vi: 'Mã truy cập (vai trò biên tập viên trở lên)', en: 'Access token (editor role or above)' },
  tokenCheck: { vi: 'Kiểm tra', en: 'Check' },
  tokenOk: { vi: 'Đăng nhập là {name}, vai trò {role}.', en: 'Signed in as {name}, role {role}.' },
  tokenViewerOnly: {
    vi: 'Mã của {name} có vai trò "{role}": cần vai trò editor hoặc admin để tải lên.',
    en: 'The token of {name} has role "{role}": uploading needs editor or admin.',
  },
  token401: { vi: 'Mã truy cập không hợp lệ hoặc đã bị thu hồi (401).', en: 'The token is not valid or was revoked (401).' },
  token403: { vi: 'Mã truy cập không đủ quyền tải lên (403).', en: 'The token may not upload layers (403).' },
  tokenMissing: { vi: 'Nhập mã truy cập trước khi tải lên.', en: 'Enter an access token before uploading.' },
  formTitle: { vi: 'Dữ liệu và thông tin lớp', en: 'Data and layer details' },
  file: { vi: 'Tệp dữ liệu', en: 'Data file' },
  fileHint: {
    vi: 'GeoJSON, Shapefile nén .zip, GeoPackage, KML/KMZ hoặc CSV',
    en: 'GeoJSON, zipped Shapefile, GeoPackage, KML/KMZ or CSV',
  },
  layerId: { vi: 'Mã lớp (chữ thường, số, _)', en: 'Layer id (lower-case letters, digits, _)' },
  layerIdHint: { vi: 'Để trống: lấy từ tên tệp', en: 'Empty: taken from the file name' },
  replace: { vi: 'Thay thế lớp đã có cùng mã', en: 'Replace the existing layer with this id' },
  titleEn: { vi: 'Tên lớp (tiếng Anh)', en: 'Title (English)' },
  titleVi: { vi: 'Tên lớp (tiếng Việt)', en: 'Title (Vietnamese)' },
  description: { vi: 'Mô tả', en: 'Description' },
  group: { vi: 'Nhóm lớp', en: 'Group' },
  group_basemap: { vi: 'Bản đồ nền', en: 'Base map' },
  group_landuse: { vi: 'Quy hoạch sử dụng đất', en: 'Land-use planning' },
  group_industry: { vi: 'Khu, cụm công nghiệp', en: 'Industrial parks and clusters' },
  group_telecom: { vi: 'Viễn thông (trạm BTS)', en: 'Telecom (BTS)' },
  group_other: { vi: 'Lớp khác', en: 'Other layers' },
  access: { vi: 'Quyền xem', en: 'Access' },
  access_public: { vi: 'Công khai', en: 'Public' },
  access_restricted: { vi: 'Hạn chế (cần mã truy cập)', en: 'Restricted (token needed)' },
  licence: { vi: 'Giấy phép', en: 'Licence' },
  attribution: { vi: 'Nguồn dữ liệu', en: 'Attribution' },
  advanced: { vi: 'Hệ toạ độ và bảng mã (nếu đã biết)', en: 'CRS and encoding (if known)' },
  srid: { vi: 'Mã EPSG (vd. 9214)', en: 'EPSG code (e.g. 9214)' },
  encoding: { vi: 'Bảng mã văn bản', en: 'Text encoding' },
  encodingAuto: { vi: 'Tự nhận dạng', en: 'Detect' },
  upload: { vi: 'Tải lên', en: 'Upload' },
  sending: { vi: 'Đang gửi tệp…', en: 'Sending the file…' },
  sent: { vi: 'Đã gửi, máy chủ đang đọc tệp…', en: 'Sent; the server is reading the file…' },
  networkError: { vi: 'Không kết nối được máy chủ', en: 'The server cannot be reached' },
  uploadFailed: { vi: 'Tải lên thất bại', en: 'The upload failed' },
  jobTitle: { vi: 'Tiến trình', en: 'Progress' },
  status_inspecting: { vi: 'Đang đọc tệp', en: 'Reading the file' },
  status_needs_confirmation: { vi: 'Cần xác nhận', en: 'Needs confirmation' },
  status_queued: { vi: 'Đang chờ', en: 'Queued' },
  status_running: { vi: 'Đang nhập dữ liệu', en: 'Importing' },
  status_published: { vi: 'Đã xuất bản', en: 'Published' },
  status_failed: { vi: 'Thất bại', en: 'Failed' },
  status_cancelled: { vi: 'Đã huỷ', en: 'Cancelled' },
  cancel: { vi: 'Huỷ tải lên', en: 'Cancel the upload' },
  confirmTitle: { vi: 'Xác nhận hệ toạ độ và bảng mã', en: 'Confirm the CRS and encoding' },
  crs: { vi: 'Hệ toạ độ đề xuất', en: 'Proposed CRS' },
  crsOwn: { vi: 'Hoặc nhập mã EPSG / chuỗi proj4', en: 'Or enter an EPSG code / proj4 string' },
  encodingPick: { vi: 'Bảng mã văn bản (xem cách đọc bên dưới)', en: 'Text encoding (see how each reads below)' },
  preview: { vi: 'Đọc thử', en: 'Preview' },
  score: { vi: 'điểm', en: 'score' },
  confirm: { vi: 'Xác nhận và nhập dữ liệu', en: 'Confirm and import' },
  dataset: { vi: 'Tập dữ liệu', en: 'Dataset' },
  features: { vi: 'đối tượng', en: 'features' },
  errors: { vi: 'Lỗi', en: 'Errors' },
  fixes: { vi: 'Đã sửa', en: 'Fixes' },
  warnings: { vi: 'Cảnh báo', en: 'Warnings' },
  counts: { vi: 'Số liệu', en: 'Counts' },
  none: { vi: '(không có)', en: '(none)' },
  viewOnMap: { vi: 'Xem trên bản đồ', en: 'View on the map' },
  count_read: { vi: 'Đã đọc', en: 'Read' },
  count_inserted: { vi: 'Đã nhập', en: 'Inserted' },
  count_repaired: { vi: 'Hình học đã sửa', en: 'Geometries repaired' },
  count_nullGeometries: { vi: 'Không có hình học', en: 'Without geometry' },
  count_emptyDropped: { vi: 'Hình học rỗng bị bỏ', en: 'Empty geometries dropped' },
  count_promotedToMulti: { vi: 'Chuyển thành Multi*', en: 'Promoted to Multi*' },
  count_splitCollections: { vi: 'Tập hình học đã tách', en: 'Collections split' },
  count_valuesNotFitting: { vi: 'Giá trị không khớp kiểu', en: 'Values not fitting their type' },
} satisfies Record<string, Label>;

/** A text key of the upload page. */
export type UploadTextKey = keyof typeof texts;

/** Every text of the upload page in both languages (read by the dictionary test). */
export const uploadTexts: Readonly<Record<UploadTextKey, Label>> = texts;

/** The text of a key in the current language, with `{name}` placeholders filled from `vars`. */
export function tx(key: UploadTextKey, vars: Record<string, string | number> = {}): string {
  return texts[key][currentLang()].replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** True when `key` is a text of the upload page (job statuses and counts are looked up by name). */
export function isTextKey(key: string): key is UploadTextKey {
  return key in texts;
}

/** Vietnamese and English texts of the viewer, and the current language. */
import type { Label } from './api.ts';

/** The two languages of the viewer. */
export type Lang = 'vi' | 'en';

const texts = {
  appTitle: { vi: 'Bản đồ quy hoạch tỉnh Bắc Ninh', en: 'Bắc Ninh planning map' },
  layers: { vi: 'Lớp bản đồ', en: 'Layers' },
  group_basemap: { vi: 'Bản đồ nền', en: 'Base map' },
  group_landuse: { vi: 'Quy hoạch sử dụng đất', en: 'Land-use planning' },
  group_industry: { vi: 'Khu, cụm công nghiệp', en: 'Industrial parks and clusters' },
  group_telecom: { vi: 'Viễn thông (trạm BTS)', en: 'Telecom (BTS)' },
  group_other: { vi: 'Lớp khác', en: 'Other layers' },
  show: { vi: 'Hiện', en: 'Show' },
  opacity: { vi: 'Độ mờ', en: 'Opacity' },
  moveUp: { vi: 'Đưa lên trên', en: 'Move up' },
  moveDown: { vi: 'Đưa xuống dưới', en: 'Move down' },
  zoomTo: { vi: 'Phóng tới lớp', en: 'Zoom to layer' },
  legend: { vi: 'Chú giải', en: 'Legend' },
  search: { vi: 'Tìm địa danh, xã, phường…', en: 'Search places, communes…' },
  searchLabel: { vi: 'Tìm kiếm', en: 'Search' },
  noResults: { vi: 'Không tìm thấy', en: 'Nothing found' },
  language: { vi: 'English', en: 'Tiếng Việt' },
  languageLabel: { vi: 'Chuyển sang tiếng Anh', en: 'Switch to Vietnamese' },
  drawPolygon: { vi: 'Vẽ vùng', en: 'Draw polygon' },
  drawCircle: { vi: 'Vẽ hình tròn', en: 'Draw circle' },
  pickCommune: { vi: 'Chọn xã/phường', en: 'Pick a commune' },
  measureDistance: { vi: 'Đo khoảng cách', en: 'Measure distance' },
  measureArea: { vi: 'Đo diện tích', en: 'Measure area' },
  clear: { vi: 'Xoá hình vẽ', en: 'Clear drawings' },
  permalink: { vi: 'Sao chép liên kết', en: 'Copy link' },
  copied: { vi: 'Đã sao chép liên kết', en: 'Link copied' },
  summary: { vi: 'Thống kê trong vùng', en: 'Summary of the area' },
  close: { vi: 'Đóng', en: 'Close' },
  downloadCsv: { vi: 'Tải CSV', en: 'Download CSV' },
  count: { vi: 'Số lượng', en: 'Count' },
  areaHa: { vi: 'Diện tích (ha)', en: 'Area (ha)' },
  lengthKm: { vi: 'Chiều dài (km)', en: 'Length (km)' },
  total: { vi: 'Tổng', en: 'Total' },
  groupBy: { vi: 'Nhóm theo', en: 'Group by' },
  thenBy: { vi: 'rồi theo', en: 'then by' },
  noFeaturesInArea: { vi: 'Không có đối tượng trong vùng', en: 'No features in the area' },
  nothingHere: { vi: 'Không có đối tượng tại điểm này', en: 'No features at this point' },
  loading: { vi: 'Đang tải…', en: 'Loading…' },
  coordinates: { vi: 'Toạ độ', en: 'Coordinates' },
  zone: { vi: 'Múi chiếu VN-2000', en: 'VN-2000 zone' },
  zoneAuto: { vi: 'Tự động theo tỉnh cũ', en: 'Auto by former province' },
  serverDown: { vi: 'Không kết nối được máy chủ bản đồ', en: 'The map server cannot be reached' },
  layerFailed: { vi: 'Không tải được lớp', en: 'Layer failed to load' },
  retry: { vi: 'Thử lại', en: 'Retry' },
  noLayers: { vi: 'Máy chủ chưa có lớp bản đồ nào', en: 'The server has no layers yet' },
  token: { vi: 'Mã truy cập', en: 'Access token' },
  tokenHint: { vi: 'Nhập mã để xem các lớp hạn chế (BTS)', en: 'Enter a token to see restricted layers (BTS)' },
  apply: { vi: 'Áp dụng', en: 'Apply' },
  distance: { vi: 'Khoảng cách', en: 'Distance' },
  area: { vi: 'Diện tích', en: 'Area' },
  drawHint: {
    vi: 'Nhấp để thêm điểm, nhấp điểm đầu để kết thúc. Esc để huỷ.',
    en: 'Click to add points, click the first point to finish. Esc cancels.',
  },
  pickHint: { vi: 'Nhấp vào một xã/phường trên bản đồ', en: 'Click a commune on the map' },
  summaryFailed: { vi: 'Không tính được thống kê', en: 'The summary failed' },
  identifyFailed: { vi: 'Không truy vấn được đối tượng', en: 'The feature query failed' },
  searchFailed: { vi: 'Không tìm kiếm được', en: 'Search failed' },
  restricted: { vi: 'hạn chế', en: 'restricted' },
  other: { vi: '(khác)', en: '(other)' },
  none: { vi: '(trống)', en: '(empty)' },
  tools: { vi: 'Công cụ', en: 'Tools' },
  zoomIn: { vi: 'Phóng to', en: 'Zoom in' },
  zoomOut: { vi: 'Thu nhỏ', en: 'Zoom out' },
  uploadLink: { vi: 'Tải lớp lên', en: 'Upload a layer' },
  surveyAxes: {
    vi: 'X là toạ độ bắc, Y là toạ độ đông (quy ước trắc địa Việt Nam)',
    en: 'X = northing, Y = easting (Vietnamese survey convention)',
  },
  method_area_ha: {
    vi: 'Diện tích phần nằm trong vùng, tính trên ellipsoid WGS 84',
    en: 'Area inside the drawn shape, on the WGS 84 ellipsoid',
  },
  method_length_km: {
    vi: 'Chiều dài phần nằm trong vùng, tính trên ellipsoid WGS 84',
    en: 'Length inside the drawn shape, on the WGS 84 ellipsoid',
  },
  method_count: { vi: 'Số đối tượng chạm vào vùng', en: 'Features that touch the drawn shape' },
  conversionsTitle: { vi: 'Chuyển mục đích sử dụng đất theo quy hoạch', en: 'Land-use changes planned' },
  conversionFrom: { vi: 'Hiện trạng', en: 'Current use' },
  conversionTo: { vi: 'Quy hoạch', en: 'Planned use' },
  conversionsChanged: { vi: 'Diện tích chuyển mục đích (ha)', en: 'Area changed (ha)' },
  conversionsPlanArea: { vi: 'diện tích quy hoạch trong vùng (ha)', en: 'plan area inside the drawn shape (ha)' },
  conversionsNone: {
    vi: 'Quy hoạch không chuyển mục đích thửa đất nào trong vùng',
    en: 'The plan changes the use of no parcel inside the drawn shape',
  },
  conversionsByCommune: { vi: 'Theo xã, phường (từ 1/7/2025)', en: 'By commune or ward (since 1 July 2025)' },
  method_conversions: {
    vi: 'Diện tích phần thửa đất nằm trong vùng, tính trên ellipsoid WGS 84; mỗi thửa tính cho xã, phường chứa nó',
    en: 'Area of the parcels inside the drawn shape, on the WGS 84 ellipsoid; each parcel counts for the commune or ward that holds it',
  },
} satisfies Record<string, Label>;

/** Every text of the viewer in both languages (read by the dictionary test). */
export const viewerTexts: Readonly<Record<TextKey, Label>> = texts;

/** A text key. */
export type TextKey = keyof typeof texts;

let lang: Lang = 'vi';
const listeners = new Set<() => void>();

/** The current language. */
export function currentLang(): Lang {
  return lang;
}

/** Changes the language and tells every listener (panels re-render their texts). */
export function setLang(next: Lang): void {
  if (next === lang) return;
  lang = next;
  document.documentElement.lang = next;
  for (const fn of listeners) fn();
}

/** Calls `fn` on every language change. */
export function onLangChange(fn: () => void): void {
  listeners.add(fn);
}

/** The text of a key in the current language. */
export function t(key: TextKey): string {
  return texts[key][lang];
}

/** A catalog label in the current language (falls back to English, then to `fallback`). */
export function pick(label: Partial<Label> | undefined, fallback = ''): string {
  return label?.[lang] || label?.en || fallback;
}

/** A number formatted for the current language (Vietnamese uses a decimal comma). */
export function formatNumber(n: number, digits = 0): string {
  return n.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

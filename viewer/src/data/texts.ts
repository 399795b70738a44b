/** Texts of the open-data portal page in Vietnamese and English. */
export type Lang = 'vi' | 'en';

const texts = {
  pageTitle: { vi: 'Dữ liệu mở tỉnh Bắc Ninh', en: 'Bắc Ninh open data' },
  backToMap: { vi: 'Về bản đồ', en: 'Back to the map' },
  findTitle: { vi: 'Tìm bộ dữ liệu', en: 'Find a dataset' },
  search: { vi: 'Từ khóa', en: 'Keywords' },
  category: { vi: 'Lĩnh vực', en: 'Category' },
  theme: { vi: 'Chủ đề ISO 19115', en: 'ISO 19115 theme' },
  find: { vi: 'Tìm', en: 'Search' },
  all: { vi: 'Tất cả', en: 'All' },
  found: { vi: 'bộ dữ liệu', en: 'datasets' },
  downloads: { vi: 'Tải xuống', en: 'Downloads' },
  crs: { vi: 'Hệ tọa độ', en: 'Coordinate system' },
  metadata: { vi: 'Siêu dữ liệu', en: 'Metadata' },
  apis: { vi: 'Giao diện lập trình (API)', en: 'APIs' },
  licence: { vi: 'Giấy phép', en: 'Licence' },
  publisher: { vi: 'Cơ quan công bố', en: 'Publisher' },
  contact: { vi: 'Đầu mối liên hệ', en: 'Contact point' },
  rights: { vi: 'Quyền truy cập', en: 'Access rights' },
  frequency: { vi: 'Tần suất cập nhật', en: 'Update frequency' },
  lineage: { vi: 'Nguồn gốc dữ liệu', en: 'Lineage' },
  temporal: { vi: 'Phạm vi thời gian', en: 'Temporal extent' },
  spatial: { vi: 'Phạm vi không gian', en: 'Spatial extent' },
  resolution: { vi: 'Tỷ lệ / độ phân giải', en: 'Scale / resolution' },
  created: { vi: 'Ngày tạo', en: 'Created' },
  updated: { vi: 'Ngày cập nhật', en: 'Updated' },
  version: { vi: 'Phiên bản', en: 'Version' },
  keywords: { vi: 'Từ khóa', en: 'Keywords' },
  themes: { vi: 'Chủ đề', en: 'Themes' },
  wgs84only: { vi: 'KML chỉ dùng WGS 84', en: 'KML is WGS 84 only' },
  failed: { vi: 'Không tải được danh mục', en: 'The catalog could not be loaded' },
} as const;

/** One text key. */
export type TextKey = keyof typeof texts;

/** The text of `key` in `lang`. */
export function t(key: TextKey, lang: Lang): string {
  return texts[key][lang];
}

/**
 * Vietnamese land-use codes (Circular 27/2018/TT-BTNMT) used by the demo parcels, with their names and colours
 * close to the usual planning-map colours, adapted where the demo style asks for a clearer contrast (SKK purple).
 * Which article or annex of a circular sets the codes and colours is not verified (see README, Data and licences).
 */

/** One land-use code. */
export interface LandUseCode {
  code: string;
  vi: string;
  en: string;
  /** Fill colour, #rrggbb. */
  color: string;
}

/** Every code the generator may assign, in legend order (agriculture, residential, public, industry, water). */
export const landUseCodes: readonly LandUseCode[] = [
  // LUA is the rice-land group (Đất trồng lúa), never drawn itself: a parcel is LUC or LUK.
  { code: 'LUC', vi: 'Đất chuyên trồng lúa nước', en: 'Paddy land (two or more rice crops)', color: '#ffff64' },
  { code: 'LUK', vi: 'Đất trồng lúa nước còn lại', en: 'Other paddy land (one rice crop)', color: '#ffffb4' },
  { code: 'HNK', vi: 'Đất trồng cây hàng năm khác', en: 'Other annual crop land', color: '#fff0b4' },
  { code: 'CLN', vi: 'Đất trồng cây lâu năm', en: 'Perennial crop land (orchards)', color: '#ffd2a0' },
  { code: 'RSX', vi: 'Đất rừng sản xuất', en: 'Production forest', color: '#b4ffb4' },
  { code: 'RPH', vi: 'Đất rừng phòng hộ', en: 'Protection forest', color: '#6ed26e' },
  { code: 'NTS', vi: 'Đất nuôi trồng thủy sản', en: 'Aquaculture land', color: '#aaffff' },
  { code: 'ONT', vi: 'Đất ở tại nông thôn', en: 'Rural residential land', color: '#ffd0ff' },
  { code: 'ODT', vi: 'Đất ở tại đô thị', en: 'Urban residential land', color: '#ff8cc8' },
  { code: 'TSC', vi: 'Đất xây dựng trụ sở cơ quan', en: 'Government office land', color: '#ff6464' },
  { code: 'DGD', vi: 'Đất xây dựng cơ sở giáo dục và đào tạo', en: 'Education land', color: '#ffa0aa' },
  { code: 'DYT', vi: 'Đất xây dựng cơ sở y tế', en: 'Health care land', color: '#ffb4a0' },
  { code: 'TMD', vi: 'Đất thương mại, dịch vụ', en: 'Commercial and service land', color: '#fa5a78' },
  { code: 'SKK', vi: 'Đất khu công nghiệp', en: 'Industrial park land', color: '#a05ac8' },
  { code: 'SKN', vi: 'Đất cụm công nghiệp', en: 'Industrial cluster land', color: '#c896e6' },
  { code: 'SKC', vi: 'Đất cơ sở sản xuất phi nông nghiệp', en: 'Non-agricultural production land', color: '#dcb4f0' },
  { code: 'DGT', vi: 'Đất giao thông', en: 'Transport land', color: '#b4b4b4' },
  { code: 'DTL', vi: 'Đất thủy lợi', en: 'Irrigation land', color: '#8cc8ff' },
  { code: 'NTD', vi: 'Đất làm nghĩa trang, nhà tang lễ, nhà hỏa táng', en: 'Cemetery land', color: '#d2d2d2' },
  { code: 'SON', vi: 'Đất sông, ngòi, kênh, rạch, suối', en: 'Rivers, canals and streams', color: '#50aaff' },
  { code: 'MNC', vi: 'Đất có mặt nước chuyên dùng', en: 'Special-use water surface', color: '#b4e6ff' },
  { code: 'CQP', vi: 'Đất quốc phòng', en: 'Defence land', color: '#c86450' },
];

/** The kinds of place a parcel can be in; each has its own mix of codes. */
export type LandUseZone =
  | 'road'
  | 'river'
  | 'stream'
  | 'park'
  | 'cluster'
  | 'defence'
  | 'urban'
  | 'roadside'
  | 'village'
  | 'riverside'
  | 'periurban'
  | 'mountain'
  | 'orchard'
  | 'hill'
  | 'upland'
  | 'lowland';

/**
 * Code weights per zone (relative; they need not sum to 100). Lowlands and river plains are dominated by
 * paddy (LUC, with LUK where one crop is grown), the north-east hills by forest (RSX/RPH), Lục Ngạn by
 * orchards (CLN: its lychee), wards and town centres by urban land (ODT), villages by ONT. Transport land
 * (DGT) is only the road corridors, river land (SON) mostly the river corridors.
 */
export const zoneWeights: Readonly<Record<LandUseZone, Readonly<Record<string, number>>>> = {
  road: { DGT: 1 },
  river: { SON: 1 },
  stream: { SON: 70, DTL: 30 },
  park: { SKK: 92, TMD: 4 },
  cluster: { SKN: 85, SKC: 7 },
  defence: { RSX: 45, CQP: 40, RPH: 15 },
  urban: { ODT: 62, TMD: 10, TSC: 5, DGD: 6, DYT: 3, SKC: 3, MNC: 2, NTD: 1, LUC: 2 },
  roadside: { ONT: 30, TMD: 10, SKC: 7, LUC: 32, HNK: 10, CLN: 8 },
  village: { ONT: 66, CLN: 9, LUC: 6, DGD: 4, TSC: 2, DYT: 1, NTD: 3, NTS: 2, MNC: 3 },
  riverside: { LUC: 50, LUK: 12, NTS: 12, DTL: 10, HNK: 10, MNC: 3, SON: 3 },
  periurban: { SKC: 22, ONT: 26, TMD: 10, LUC: 28, HNK: 8 },
  mountain: { RSX: 50, RPH: 26, CLN: 8, HNK: 6, LUK: 6, NTS: 1, ONT: 1, SON: 1 },
  orchard: { CLN: 44, RSX: 22, LUC: 10, HNK: 8, RPH: 6, NTS: 4, LUK: 3, ONT: 1, DTL: 1, NTD: 1 },
  hill: { RSX: 56, RPH: 16, CLN: 14, HNK: 6, LUK: 5, ONT: 1, NTD: 1, DTL: 1 },
  upland: { LUC: 30, LUK: 10, RSX: 18, CLN: 15, HNK: 12, NTS: 5, RPH: 3, DTL: 3, NTD: 1, ONT: 3 },
  lowland: { LUC: 58, LUK: 9, HNK: 7, NTS: 7, CLN: 4, DTL: 5, NTD: 3, ONT: 3, SKC: 1, MNC: 2 },
};
/** Rows of (zone, code, lo, hi): code is chosen where lo <= u < hi for a uniform u; bound into SQL as JSON. */
export function weightTable(): Array<{ zone: LandUseZone; code: string; lo: number; hi: number }> {
  const rows: Array<{ zone: LandUseZone; code: string; lo: number; hi: number }> = [];
  for (const [zone, weights] of Object.entries(zoneWeights) as Array<[LandUseZone, Record<string, number>]>) {
    const total = Object.values(weights).reduce((s, w) => s + w, 0);
    let acc = 0;
    const entries = Object.entries(weights);
    entries.forEach(([code, w], i) => {
      const lo = acc / total;
      acc += w;
      rows.push({ zone, code, lo, hi: i === entries.length - 1 ? 2 : acc / total });
    });
  }
  return rows;
}

/**
 * Vietnamese land-use codes (Circular 27/2018/TT-BTNMT, Appendix) used by the demo parcels, with their
 * names and the colours of the planning-map convention (Circular 25/2014/TT-BTNMT), adapted where the
 * demo style asks for a clearer contrast (SKK purple).
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
  { code: 'LUA', vi: 'Đất chuyên trồng lúa nước', en: 'Paddy land (two or more rice crops)', color: '#ffff64' },
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
  | 'park' | 'cluster' | 'defence' | 'riverside' | 'roadside' | 'urban' | 'village' | 'periurban'
  | 'mountain' | 'orchard' | 'upland' | 'lowland';

/**
 * Code weights per zone (relative; they need not sum to 100). Lowlands are dominated by paddy (LUA),
 * Sơn Động by forest (RSX/RPH), Lục Ngạn by orchards (CLN: its lychee), towns by urban land (ODT).
 */
export const zoneWeights: Readonly<Record<LandUseZone, Readonly<Record<string, number>>>> = {
  park: { SKK: 88, DGT: 7, DTL: 2, TMD: 3 },
  cluster: { SKN: 85, DGT: 8, SKC: 7 },
  defence: { RSX: 45, CQP: 40, RPH: 15 },
  riverside: { SON: 60, NTS: 10, LUA: 14, HNK: 8, DTL: 6, MNC: 2 },
  roadside: { DGT: 18, ONT: 24, TMD: 14, SKC: 10, LUA: 28, CLN: 6 },
  urban: { ODT: 58, TMD: 10, TSC: 5, DGD: 6, DYT: 3, DGT: 10, SKC: 3, MNC: 2, NTD: 1, LUA: 2 },
  village: { ONT: 64, CLN: 9, LUA: 8, DGT: 5, DGD: 4, TSC: 2, DYT: 1, NTD: 3, NTS: 2, MNC: 2 },
  periurban: { SKC: 22, ONT: 26, TMD: 10, LUA: 28, DGT: 8, HNK: 6 },
  mountain: { RSX: 44, RPH: 21, CLN: 9, HNK: 9, LUA: 9, LUK: 3, NTS: 1, SON: 2, DGT: 1, ONT: 1 },
  orchard: { CLN: 40, RSX: 21, LUA: 14, HNK: 8, RPH: 6, NTS: 4, LUK: 3, ONT: 2, DTL: 1, NTD: 1 },
  upland: { LUA: 34, RSX: 20, CLN: 15, HNK: 12, LUK: 6, NTS: 5, RPH: 3, DTL: 2, NTD: 1, ONT: 2 },
  lowland: { LUA: 58, LUK: 8, HNK: 7, NTS: 7, CLN: 5, DTL: 4, NTD: 3, DGT: 3, ONT: 2, SKC: 1, MNC: 1, SON: 1 },
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

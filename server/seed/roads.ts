/**
 * Roads (generated, not surveyed). National and provincial roads run through the real district seats
 * in their approximate real order; district roads join the commune seats of a district as a minimum
 * spanning tree; local roads join each commune seat to its nearest neighbours. Seeded wander on every leg.
 */
import { clippedLinesFrom, distanceM, lineString, meander, type LineRow, type LonLat } from './lines.ts';
import { Random } from './random.ts';
import type { Seat } from './places.ts';
import type { Sql } from './sql.ts';

type RoadClass = 'national' | 'provincial' | 'district' | 'local';

/** A waypoint: a commune seat ("district_code:full_name") or a lon/lat where the road leaves the province. */
type Waypoint = string | LonLat;

/** Numbered roads: ref, name, class and the seats they pass, in order. */
const numbered: Array<{ ref: string; name: string; class: RoadClass; via: Waypoint[] }> = [
  {
    ref: 'QL1',
    name: 'Quốc lộ 1',
    class: 'national',
    via: [
      [105.9, 21.08],
      '261:Phường Đông Ngàn',
      '256:Phường Tiền An',
      '222:Thị trấn Nếnh',
      '213:Phường Trần Phú',
      '217:Thị trấn Vôi',
      '217:Thị trấn Kép',
      [106.35, 21.5],
    ],
  },
  {
    ref: 'QL31',
    name: 'Quốc lộ 31',
    class: 'national',
    via: ['213:Phường Trần Phú', '218:Thị trấn Đồi Ngô', '219:Thị trấn Chũ', '220:Thị trấn An Châu', [107.03, 21.36]],
  },
  {
    ref: 'QL18',
    name: 'Quốc lộ 18',
    class: 'national',
    via: [[105.89, 21.215], '258:Thị trấn Chờ', '256:Phường Tiền An', '259:Thị trấn Phố Mới', [106.29, 21.1]],
  },
  {
    ref: 'QL37',
    name: 'Quốc lộ 37',
    class: 'national',
    via: [
      [106.31, 21.12],
      '221:Xã Đồng Phúc',
      '218:Thị trấn Đồi Ngô',
      '217:Thị trấn Kép',
      '215:Thị trấn Bố Hạ',
      '215:Thị trấn Cầu Gồ',
      [106.02, 21.62],
    ],
  },
  {
    ref: 'QL17',
    name: 'Quốc lộ 17',
    class: 'national',
    via: [
      '259:Thị trấn Phố Mới',
      '221:Thị trấn Neo',
      '213:Phường Trần Phú',
      '216:Thị trấn Cao Thượng',
      '216:Thị trấn Nhã Nam',
      [106.0, 21.47],
    ],
  },
  { ref: 'QL38', name: 'Quốc lộ 38', class: 'national', via: ['256:Phường Tiền An', '262:Thị trấn Hồ', [106.11, 20.97]] },
  { ref: 'ĐT286', name: 'Đường tỉnh 286', class: 'provincial', via: ['261:Phường Đông Ngàn', '258:Thị trấn Chờ'] },
  { ref: 'ĐT276', name: 'Đường tỉnh 276', class: 'provincial', via: ['260:Thị trấn Lim', '262:Thị trấn Hồ'] },
  { ref: 'ĐT282', name: 'Đường tỉnh 282', class: 'provincial', via: ['262:Thị trấn Hồ', '263:Thị trấn Gia Bình'] },
  { ref: 'ĐT281', name: 'Đường tỉnh 281', class: 'provincial', via: ['263:Thị trấn Gia Bình', '264:Thị trấn Thứa'] },
  { ref: 'ĐT279', name: 'Đường tỉnh 279', class: 'provincial', via: ['259:Thị trấn Phố Mới', '263:Thị trấn Gia Bình'] },
  {
    ref: 'ĐT295',
    name: 'Đường tỉnh 295',
    class: 'provincial',
    via: ['223:Thị trấn Thắng', '216:Thị trấn Cao Thượng', '215:Thị trấn Cầu Gồ'],
  },
  {
    ref: 'ĐT296',
    name: 'Đường tỉnh 296',
    class: 'provincial',
    via: ['223:Thị trấn Thắng', '222:Thị trấn Bích Động', '213:Phường Trần Phú'],
  },
  {
    ref: 'ĐT398',
    name: 'Đường tỉnh 398',
    class: 'provincial',
    via: ['213:Phường Trần Phú', '221:Thị trấn Tân Dân', '221:Thị trấn Neo'],
  },
  { ref: 'ĐT293', name: 'Đường tỉnh 293', class: 'provincial', via: ['218:Thị trấn Lục Nam', '220:Thị trấn Thanh Sơn'] },
  { ref: 'ĐT290', name: 'Đường tỉnh 290', class: 'provincial', via: ['219:Thị trấn Chũ', [106.74, 21.55]] },
  { ref: 'ĐT291', name: 'Đường tỉnh 291', class: 'provincial', via: ['220:Thị trấn An Châu', '220:Thị trấn Thanh Sơn'] },
  {
    ref: 'ĐT292',
    name: 'Đường tỉnh 292',
    class: 'provincial',
    via: ['217:Thị trấn Kép', '217:Thị trấn Vôi', '216:Thị trấn Cao Thượng'],
  },
];

/** Wander (fraction of leg length) and vertex spacing in metres, by class. */
const shape: Record<RoadClass, { amplitude: number; stepM: number }> = {
  national: { amplitude: 0.03, stepM: 400 },
  provincial: { amplitude: 0.05, stepM: 300 },
  district: { amplitude: 0.07, stepM: 200 },
  local: { amplitude: 0.09, stepM: 150 },
};

const at = (s: Seat): LonLat => [s.lon, s.lat];

function resolve(seats: Map<string, Seat>, w: Waypoint, ref: string): LonLat {
  if (typeof w !== 'string') return w;
  const seat = seats.get(w);
  if (!seat) throw new Error(`road ${ref}: no commune "${w}" in admin_communes`);
  return at(seat);
}

/** Edges of a minimum spanning tree (Prim) over `nodes`, by straight distance. */
function spanningTree(nodes: Seat[]): Array<[Seat, Seat]> {
  if (nodes.length < 2) return [];
  const inTree = new Set<number>([0]);
  const edges: Array<[Seat, Seat]> = [];
  while (inTree.size < nodes.length) {
    let best: [number, number, number] = [-1, -1, Infinity];
    for (const i of inTree) {
      for (let j = 0; j < nodes.length; j++) {
        if (inTree.has(j)) continue;
        const d = distanceM(at(nodes[i]), at(nodes[j]));
        if (d < best[2]) best = [i, j, d];
      }
    }
    inTree.add(best[1]);
    edges.push([nodes[best[0]], nodes[best[1]]]);
  }
  return edges;
}

interface RoadRow extends LineRow {
  ref: string | null;
  class: RoadClass;
}

/** The road records before clipping. */
export function roadRows(seats: Map<string, Seat>): RoadRow[] {
  const rows: RoadRow[] = [];
  const add = (name: string, ref: string | null, cls: RoadClass, points: LonLat[]) => {
    const rng = new Random(`road:${cls}:${ref ?? ''}:${name}`);
    const { amplitude, stepM } = shape[cls];
    rows.push({ ord: rows.length, name, ref, class: cls, geom: lineString(meander(points, rng, amplitude, stepM)) });
  };
  for (const r of numbered)
    add(
      r.name,
      r.ref,
      r.class,
      r.via.map((w) => resolve(seats, w, r.ref)),
    );

  const all = [...seats.values()];
  const joined = new Set<string>();
  const pairKey = (a: Seat, b: Seat) => (a.id < b.id ? `${a.id}-${b.id}` : `${b.id}-${a.id}`);
  const byDistrict = new Map<string, Seat[]>();
  for (const s of all) byDistrict.set(s.districtCode, [...(byDistrict.get(s.districtCode) ?? []), s]);
  // District roads are numbered within their district (ĐH.01, ĐH.02, ...), as district road registers are.
  for (const [, nodes] of [...byDistrict].sort(([a], [b]) => a.localeCompare(b))) {
    spanningTree(nodes).forEach(([a, b], i) => {
      joined.add(pairKey(a, b));
      add(`Đường huyện ${a.name} – ${b.name}`, `ĐH.${String(i + 1).padStart(2, '0')}`, 'district', [at(a), at(b)]);
    });
  }
  // Local roads: each seat to its two nearest neighbours (any district) not joined yet, within 6 km.
  for (const a of all) {
    const near = all
      .filter((b) => b.id !== a.id)
      .map((b) => ({ b, d: distanceM(at(a), at(b)) }))
      .sort((x, y) => x.d - y.d || x.b.id - y.b.id)
      .slice(0, 2);
    for (const { b, d } of near) {
      if (d > 6000 || joined.has(pairKey(a, b))) continue;
      joined.add(pairKey(a, b));
      add(`Đường liên xã ${a.name} – ${b.name}`, null, 'local', [at(a), at(b)]);
    }
  }
  return rows;
}

/** Fills `roads`, clipped to the province outline. */
export async function seedRoads(sql: Sql, seats: Map<string, Seat>): Promise<void> {
  await sql(
    `INSERT INTO roads (id, name, ref, class, length_m, geom)
     SELECT row_number() OVER (ORDER BY ord, piece)::int, name, ref, class, ST_Length(clipped::geography), clipped
     FROM ${clippedLinesFrom('ord int, name text, ref text, class text')}`,
    [JSON.stringify(roadRows(seats))],
  );
}

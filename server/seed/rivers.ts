/**
 * Rivers (generated, not surveyed): the main rivers along their approximate real courses, given as
 * waypoints in lon/lat and meandered with a seeded wander. Sông Cầu, Sông Thương and Sông Lục Nam meet
 * near Phả Lại (about 106.30 E, 21.11 N), where the Thái Bình begins and the Đuống joins from the west.
 */
import { clippedLinesFrom, lineString, meander, type LineRow, type LonLat } from './lines.ts';
import { Random } from './random.ts';
import type { Sql } from './sql.ts';

/** The confluence near Phả Lại. */
const phaLai: LonLat = [106.3, 21.11];

/** Rivers by name: class and approximate course (upstream first). */
const courses: Array<{ name: string; class: 'major' | 'minor'; course: LonLat[] }> = [
  {
    name: 'Sông Cầu',
    class: 'major',
    course: [
      [105.875, 21.37],
      [105.9, 21.31],
      [105.93, 21.255],
      [105.99, 21.232],
      [106.05, 21.214],
      [106.095, 21.205],
      [106.14, 21.208],
      [106.19, 21.188],
      [106.24, 21.158],
      [106.275, 21.13],
      phaLai,
    ],
  },
  {
    name: 'Sông Thương',
    class: 'major',
    course: [
      [106.27, 21.54],
      [106.225, 21.485],
      [106.198, 21.447],
      [106.19, 21.4],
      [106.2, 21.34],
      [106.217, 21.29],
      [106.236, 21.24],
      [106.252, 21.19],
      [106.28, 21.14],
      phaLai,
    ],
  },
  {
    name: 'Sông Lục Nam',
    class: 'major',
    course: [
      [106.82, 21.5],
      [106.7, 21.44],
      [106.6, 21.39],
      [106.555, 21.35],
      [106.47, 21.325],
      [106.41, 21.285],
      [106.36, 21.22],
      [106.32, 21.15],
      phaLai,
    ],
  },
  {
    name: 'Sông Đuống',
    class: 'major',
    course: [
      [105.89, 21.075],
      [105.95, 21.078],
      [106.01, 21.085],
      [106.065, 21.088],
      [106.12, 21.095],
      [106.17, 21.088],
      [106.22, 21.095],
      [106.27, 21.09],
      [106.31, 21.085],
    ],
  },
  {
    name: 'Sông Thái Bình',
    class: 'major',
    course: [phaLai, [106.305, 21.07], [106.295, 21.03], [106.27, 20.99], [106.25, 20.96]],
  },
  {
    name: 'Sông Ngũ Huyện Khê',
    class: 'minor',
    course: [
      [105.9, 21.165],
      [105.945, 21.162],
      [105.99, 21.176],
      [106.035, 21.19],
      [106.08, 21.2],
    ],
  },
  {
    name: 'Sông Sỏi',
    class: 'minor',
    course: [
      [106.07, 21.57],
      [106.11, 21.52],
      [106.15, 21.48],
      [106.195, 21.452],
    ],
  },
  {
    name: 'Sông Dâu',
    class: 'minor',
    course: [
      [106.01, 21.06],
      [106.05, 21.045],
      [106.1, 21.035],
      [106.15, 21.02],
      [106.2, 21.0],
    ],
  },
];

/** The river records before clipping. */
export function riverRows(): Array<LineRow & { class: string }> {
  return courses.map((r, i) => {
    const rng = new Random(`river:${r.name}`);
    return {
      ord: i,
      name: r.name,
      class: r.class,
      geom: lineString(meander(r.course, rng, r.class === 'major' ? 0.12 : 0.08, 250)),
    };
  });
}

/** Fills `rivers`, clipped to the province outline. */
export async function seedRivers(sql: Sql): Promise<void> {
  await sql(
    `INSERT INTO rivers (id, name, class, length_m, geom)
     SELECT row_number() OVER (ORDER BY ord, piece)::int, name, class, ST_Length(clipped::geography), clipped
     FROM ${clippedLinesFrom('ord int, name text, class text')}`,
    [JSON.stringify(riverRows())],
  );
}

/**
 * Which CRS an uploaded dataset is in. Declarations (.prj, GeoPackage srs, GeoJSON `crs`, KML) are recognised
 * with server/crs; VN-2000 always gets the official EPSG:6960 shift. When nothing usable is declared, or the file's
 * own datum shift is overridden, or a WGS 84 label hides a VN-2000 TM-3 zone, the uploader must confirm: we
 * propose, we never guess silently. The samples are also checked to land in Vietnam.
 */
import type { Position } from 'geojson';
import {
  UnknownCrsError,
  VN2000_TM3_CRS,
  crsBySrid,
  crsFromPrj,
  detectSwappedAxes,
  isInsideVietnam,
  parseCrsUri,
  proj4Transformer,
  suggestVn2000Crs,
} from '../crs/index.ts';
import { badInput, type DeclaredCrs } from './types.ts';
import type { ChosenCrs, CrsDecision, CrsProposal } from '../wire/upload.ts';

// The decision's shape is the job report's (server/wire/upload.ts).
export type { ChosenCrs, CrsDecision, CrsProposal } from '../wire/upload.ts';

/** What the uploader said about the CRS (form fields or the confirm request). */
export interface CrsAnswer {
  srid?: number;
  proj4?: string;
  swapAxes?: boolean;
}

function chosenFromSrid(srid: number): ChosenCrs {
  try {
    const def = crsBySrid(srid);
    return { srid, proj4: def.proj4, label: `EPSG:${srid}` };
  } catch (err) {
    if (err instanceof UnknownCrsError) throw badInput(`srid ${srid}: ${err.message}`);
    throw err;
  }
}

/** The uploader's own CRS (srid or proj4 string); 400 when it cannot be used. */
export function chosenFromAnswer(answer: CrsAnswer): ChosenCrs | null {
  if (answer.srid !== undefined) return chosenFromSrid(answer.srid);
  if (answer.proj4 !== undefined) {
    const def = answer.proj4.trim();
    if (!def.startsWith('+'))
      throw badInput(`proj4 must be a PROJ string starting with "+proj=", got ${JSON.stringify(def.slice(0, 60))}`);
    try {
      proj4Transformer(def, 4326).forward([0, 0]);
    } catch (err) {
      throw badInput(`proj4 ${JSON.stringify(def.slice(0, 120))} cannot be used: ${(err as Error).message}`);
    }
    if (/\+(ellps|datum)=WGS84/.test(def) && /\+proj=tmerc/.test(def) && /\+k=0\.9999\b/.test(def) && !/\+towgs84=/.test(def)) {
      throw badInput(
        'this proj4 string looks like a VN-2000 TM-3 zone without +towgs84 (about 224 m off): give the EPSG code (e.g. srid=9214) instead',
      );
    }
    return { srid: null, proj4: def, label: `PROJ4:${def}` };
  }
  return null;
}

function proposalsFor(samples: readonly Position[], first?: number): CrsProposal[] {
  const suggestions = suggestVn2000Crs(samples.map((p) => [p[0], p[1]] as const)).map((s) => ({
    srid: s.srid,
    title: s.title,
    score: s.score,
    reasons: s.reasons,
    wgs84Bbox: [...s.wgs84Bbox],
  }));
  if (first !== undefined) {
    const i = suggestions.findIndex((s) => s.srid === first);
    if (i > 0) suggestions.unshift(...suggestions.splice(i, 1));
  }
  return suggestions.slice(0, 6);
}

/** The TM-3 zone a WGS 84-labelled transverse Mercator with TM-3 parameters really is (VN-2000 shares the ellipsoid). */
function tm3Lookalike(proj4: string): number | undefined {
  const cm = /\+lon_0=([-\d.]+)/.exec(proj4)?.[1];
  if (!/\+proj=tmerc/.test(proj4) || !/\+k=0\.9999\b/.test(proj4) || !/\+x_0=500000\b/.test(proj4) || cm === undefined)
    return undefined;
  return VN2000_TM3_CRS.find((c) => Math.abs((c.centralMeridian ?? NaN) - Number(cm)) < 1e-9)?.srid;
}

/** Decides the CRS of one dataset from its declaration, the uploader's answer and sample positions. */
export function decideCrs(
  declared: DeclaredCrs | null,
  format: string,
  samples: readonly Position[],
  answer: CrsAnswer,
): CrsDecision {
  const axes = detectSwappedAxes(samples.map((p) => [p[0], p[1]] as const));
  const swapAxes = answer.swapAxes ?? axes.swapped;
  const notes: string[] = [];
  if (axes.swapped && swapAxes)
    notes.push(
      'the first coordinate value looks like the northing/latitude (as in Vietnamese survey tables, X = northing): X and Y were swapped',
    );
  if (axes.swapped && !swapAxes) notes.push('the values look swapped (northing first) but the uploader said not to swap them');
  const declaredView = declared
    ? { source: declared.source, text: declared.wkt ?? declared.uri ?? `EPSG:${declared.srid}` }
    : null;
  const base = { declared: declaredView, swapAxes, axes, notes };
  const confirm = (reason: string, first?: number): CrsDecision => ({
    ...base,
    status: 'needs_confirmation',
    chosen: null,
    proposals: proposalsFor(swapAxes !== axes.swapped ? samples.map((p) => [p[1], p[0]]) : samples, first),
    reason,
  });
  const resolved = (chosen: ChosenCrs): CrsDecision => ({ ...base, status: 'resolved', chosen, proposals: [], reason: null });

  const given = chosenFromAnswer(answer);
  if (given) {
    notes.push(`CRS given by the uploader: ${given.label}`);
    return resolved(given);
  }
  if (!declared) {
    if (format === 'GeoJSON' && axes.kind === 'geographic') {
      notes.push('no "crs" member: GeoJSON is WGS 84 longitude/latitude (RFC 7946)');
      return resolved({ srid: 4326, proj4: crsBySrid(4326).proj4, label: 'EPSG:4326' });
    }
    return confirm(`the ${format} declares no CRS: confirm one of the proposals (srid) or give a proj4 string`);
  }
  if (declared.uri) {
    try {
      const def = parseCrsUri(declared.uri);
      notes.push(`CRS from the GeoJSON "crs" member: ${def.code}`);
      return resolved({ srid: def.srid, proj4: def.proj4, label: def.srid === 4326 ? 'EPSG:4326' : def.code });
    } catch (err) {
      return confirm(
        `the GeoJSON "crs" member ${JSON.stringify(declared.uri)} is not a CRS we know (${(err as Error).message.split(';')[0]})`,
      );
    }
  }
  if (declared.srid !== undefined && !declared.wkt) {
    if (declared.srid === 4326) return resolved({ srid: 4326, proj4: crsBySrid(4326).proj4, label: 'EPSG:4326' });
    try {
      return resolved(chosenFromSrid(declared.srid));
    } catch {
      return confirm(
        `EPSG:${declared.srid} (${declared.source}) is not a CRS we transform: give its proj4 string or another srid`,
      );
    }
  }
  if (declared.srid !== undefined) {
    try {
      const c = chosenFromSrid(declared.srid);
      notes.push(`CRS from ${declared.source}`);
      return resolved(c);
    } catch {
      // not an EPSG code we list: fall through to the WKT definition
    }
  }
  const prj = crsFromPrj(declared.wkt ?? '');
  if (!prj) return confirm(`the CRS in ${declared.source} was not recognised (${(declared.wkt ?? '').slice(0, 80)}…)`);
  notes.push(...prj.notes);
  if (prj.datum === 'WGS 84') {
    const zone = tm3Lookalike(prj.proj4);
    if (zone) {
      return confirm(
        `${declared.source} says WGS 84, but its projection (transverse Mercator, k 0.9999, false easting 500 000 m) is the VN-2000 TM-3 zone EPSG:${zone}; VN-2000 data is often labelled WGS 84 because both use the WGS 84 ellipsoid, and reading it as WGS 84 puts it ~200 m off`,
        zone,
      );
    }
  }
  if (prj.towgs84InPrj === 'decision-signs' || prj.towgs84InPrj === 'other') {
    return confirm(
      `${prj.notes.find((n) => n.includes('TOWGS84')) ?? 'the datum shift of the file was replaced'}; confirm EPSG:${prj.srid ?? '?'}`,
      prj.srid,
    );
  }
  return resolved({ srid: prj.srid ?? null, proj4: prj.proj4, label: prj.srid ? `EPSG:${prj.srid}` : `PROJ4:${prj.proj4}` });
}

/** Throws 400 when sample positions, read in the chosen CRS, fall outside Vietnam; suggests zones that fit. */
export function checkInsideVietnam(
  chosen: ChosenCrs,
  swapAxes: boolean,
  samples: readonly Position[],
  datasetName: string,
): void {
  const t = proj4Transformer(chosen.proj4, 4326);
  let outside = 0;
  let example: [number, number] | null = null;
  for (const p of samples) {
    const xy: [number, number] = swapAxes ? [p[1], p[0]] : [p[0], p[1]];
    let ll: [number, number];
    try {
      ll = t.forward(xy);
    } catch {
      outside++;
      continue;
    }
    if (!isInsideVietnam(ll[0], ll[1])) {
      outside++;
      example ??= ll;
    }
  }
  if (outside === 0) return;
  const fits = proposalsFor(swapAxes ? samples.map((p) => [p[1], p[0]]) : samples)
    .filter((p) => p.srid !== chosen.srid)
    .slice(0, 3)
    .map((p) => `EPSG:${p.srid} (${p.title})`);
  const where = example ? ` (e.g. at ${example[0].toFixed(4)}, ${example[1].toFixed(4)})` : '';
  throw badInput(
    `${datasetName}: ${outside} of ${samples.length} sampled positions fall outside Vietnam when read as ${chosen.label}${where}: ` +
      `probably the wrong zone or swapped X/Y.${fits.length ? ` Read in ${fits.join(', ')} they land in Vietnam.` : ''}`,
  );
}

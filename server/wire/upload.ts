/**
 * An upload job as the admin API reports it (GET/POST /admin/jobs/{id}...), with every part of it: the CRS and
 * encoding decisions, the column plan, the counts. The upload service fills these and the upload page reads them.
 * Pure types: this module imports only its sibling, so the viewer may compile against it.
 */
import type { ColumnType } from './layer.ts';

/** Where a job is. */
export type JobStatus = 'inspecting' | 'needs_confirmation' | 'queued' | 'running' | 'published' | 'failed' | 'cancelled';

/** The caller of GET /admin/whoami. */
export interface Whoami {
  name: string;
  role: 'viewer' | 'editor' | 'admin';
  tokenId: string;
}

/** What the value ranges say about the axis order of sample coordinates. */
export interface AxisOrderDetection {
  /** True when the first value is the northing/latitude (Vietnamese survey tables call the northing X). */
  readonly swapped: boolean;
  /** 'geographic' for degrees, 'projected' for VN-2000/UTM metres, 'unknown' when the ranges fit neither. */
  readonly kind: 'geographic' | 'projected' | 'unknown';
  /** Points that fit east-first, north-first, or neither. */
  readonly votes: { readonly eastFirst: number; readonly northFirst: number; readonly neither: number };
}

/** A CRS chosen for a dataset. */
export interface ChosenCrs {
  /** EPSG code when it has one we support. */
  srid: number | null;
  /** proj4 definition used to transform to EPSG:4326 (VN-2000 always with the official +towgs84). */
  proj4: string;
  /** Label kept in layer_catalog.source_crs: 'EPSG:9214', or 'PROJ4:+proj=...'. */
  label: string;
}

/** One proposal shown to the uploader. */
export interface CrsProposal {
  srid: number;
  title: string;
  score: number;
  reasons: readonly string[];
  /** Where the data lands in WGS 84 when read in this CRS [minLon, minLat, maxLon, maxLat]. */
  wgs84Bbox: readonly number[];
}

/** The CRS decision for one dataset, as the job report shows it. */
export interface CrsDecision {
  status: 'resolved' | 'needs_confirmation';
  declared: { source: string; text: string } | null;
  chosen: ChosenCrs | null;
  /** Swap the two coordinate values before transforming (northing/latitude written first). */
  swapAxes: boolean;
  axes: AxisOrderDetection;
  proposals: CrsProposal[];
  /** Why the uploader must confirm (null when resolved). */
  reason: string | null;
  notes: string[];
}

/** The encodings we decode: Unicode, the three legacy Vietnamese ones, and the Western single-byte ones. */
export type TextEncodingName = 'utf-8' | 'windows-1258' | 'tcvn3' | 'vni' | 'windows-1252' | 'latin1';

/** A declared text encoding of a DBF (from .cpg or the language driver byte) or a CSV. */
export interface DeclaredEncoding {
  source: string;
  /** What the declaration says, as written ('UTF-8', '1258', 'LDID 0x57'...). */
  value: string;
  /** The encoding it names in our terms, when we know it. */
  encoding?: string;
}

/** One candidate decoding of the samples, for the uploader to compare. */
export interface EncodingCandidate {
  encoding: TextEncodingName;
  /** Vietnamese-syllable score of the decoded samples (higher is better); null when the bytes are invalid in it. */
  score: number | null;
  /** The first non-ASCII samples decoded this way. */
  preview: string[];
}

/** The encoding decision of one dataset, as the job report shows it. */
export interface EncodingDecision {
  status: 'not_needed' | 'resolved' | 'needs_confirmation';
  declared: DeclaredEncoding | null;
  /** The encoding used (or proposed, while status is needs_confirmation). */
  encoding: TextEncodingName;
  /** What detection chose, when there was non-ASCII text. */
  detected: TextEncodingName | null;
  /** 0..1, how far detection's choice is ahead of a different reading. */
  confidence: number | null;
  candidates: EncodingCandidate[];
  reason: string | null;
  notes: string[];
}

/** One column of the layer table. */
export interface ColumnPlan {
  /** The property name in the source. */
  source: string;
  /** The safe SQL name. */
  name: string;
  type: ColumnType;
  /** The original name as people read it (decoded when the file held it in a legacy code page). */
  label: string;
  /** Set on the CSV columns the geometry was read from: they are kept as attributes, marked with their role. */
  role?: 'x' | 'y';
  /** Said in the layer's column metadata (and its queryables). */
  description?: string;
}

/** One dataset of a job as reported. */
export interface DatasetReport {
  name: string;
  format: string;
  layerId: string;
  features: number;
  geometryTypes: Record<string, number>;
  crs: CrsDecision;
  encoding: EncodingDecision;
  columns: ColumnPlan[];
  /**
   * The column recognised as holding old (pre-July-2025) commune codes or names, or null; once published, with how
   * many features were linked to a unit of 2025-07-01 (`commune_code_2025`, `commune_name_2025`) and how many not.
   */
  communeColumn?: CommuneColumn | CommuneLink | null;
}

/** A column of an upload recognised as holding old commune codes or names. */
export interface CommuneColumn {
  /** The column of the staged table (safe SQL name). */
  column: string;
  /** Its name in the file. */
  label: string;
  kind: 'code' | 'name';
}

/** What linking a staged table found. */
export interface CommuneLink extends CommuneColumn {
  /** Features given a unit of 2025-07-01. */
  linked: number;
  /** Features with a value that no mapping knows (codes left empty). */
  unmapped: number;
  /** Features with no value in the column. */
  empty: number;
  /** Up to 10 of the values no mapping knows. */
  unmappedValues: string[];
}

/** Counts of a job. */
export interface JobCounts {
  read: number;
  inserted: number;
  repaired: number;
  nullGeometries: number;
  emptyDropped: number;
  promotedToMulti: number;
  splitCollections: number;
  valuesNotFitting: number;
}

/** A job as GET /admin/jobs/{id} returns it. */
export interface JobReport {
  id: string;
  status: JobStatus;
  /** 0-100. */
  progress: number;
  phase: string;
  layerId: string;
  replace: boolean;
  /** The id of the token that started the job: only it (or an admin) may see, confirm or cancel the job. */
  owner: string;
  /** That token's name, for people. */
  ownerName: string;
  fileName: string;
  fileBytes: number;
  format: string | null;
  createdAt: string;
  updatedAt: string;
  datasets: DatasetReport[];
  /** What the uploader must confirm (status needs_confirmation): POST /admin/jobs/{id}/confirm. */
  confirmation: { crs: boolean; encoding: boolean; reasons: string[] } | null;
  counts: JobCounts;
  /** Every fix made to the data (repairs, renames, promotions, swaps, decodings). */
  fixes: string[];
  warnings: string[];
  errors: string[];
  /** Layers published by this job with their new data versions. */
  layers: Array<{ id: string; dataVersion: number; features: number; geometryType: string }>;
}

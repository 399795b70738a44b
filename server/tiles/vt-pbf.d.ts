/** Types for vt-pbf (the package ships none): only the entry point the Node encoder uses. */
declare module 'vt-pbf' {
  /** geojson-vt-shaped layers keyed by layer name, serialised to MVT protobuf bytes. */
  export function fromGeojsonVt(
    layers: Record<string, { features: unknown[] }>,
    options?: { version?: number; extent?: number },
  ): Uint8Array;
  const vtpbf: { fromGeojsonVt: typeof fromGeojsonVt };
  export default vtpbf;
}

/** The layer groups of the panel, in panel order (a module of its own: the dictionary test reads it without a DOM). */
export const layerGroups = ['basemap', 'landuse', 'industry', 'telecom', 'other'] as const;

/** One layer group. */
export type LayerGroup = (typeof layerGroups)[number];

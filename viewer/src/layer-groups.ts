/**
 * The layer groups of the panel, in panel order: the server's list (server/wire/layer.ts, pure data the bundle may
 * include). A module of its own: the dictionary test reads it without a DOM.
 */
export { layerGroups, type LayerGroup } from '../../server/wire/layer.ts';

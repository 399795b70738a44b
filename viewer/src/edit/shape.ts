/**
 * The shape of an existing feature being edited: its full geometry (as GET of the feature answers it, not the
 * generalised tile geometry) as a Leaflet layer in Geoman's edit mode, so its vertices can be dragged, added and
 * removed; and, for lines and polygons, the neighbouring features of the layer in view as thin outlines that the
 * dragged vertices snap to (Geoman snaps to Leaflet layers on the map, not to the canvas tiles).
 */
import L from 'leaflet';
import type { Feature, Geometry } from 'geojson';
import type { ViewerLayer } from '../api.ts';
import { featuresIn } from './api.ts';

/** Neighbours loaded for snapping: the features of the layer in view, a few (a parcel has a handful of neighbours). */
const neighbourLimit = 200;
/** Snapping distance of a dragged vertex, in screen pixels. */
const snapPx = 15;

/** An edited shape on the map. */
export interface EditableShape {
  /** The geometry as edited (GeoJSON, EPSG:4326), or null while no vertex was moved. */
  changedGeometry(): Geometry | null;
  /** The area of the geometry as read and as edited now (EPSG:4326): what must redraw after a save. */
  bounds(): L.LatLngBounds;
  /** Takes the shape and the snapping outlines off the map. */
  remove(): void;
}

/** Geometries Leaflet and Geoman can edit as one layer (a GeometryCollection cannot be). */
function editable(geometry: Geometry | null): geometry is Exclude<Geometry, { type: 'GeometryCollection' }> {
  return geometry !== null && geometry.type !== 'GeometryCollection';
}

/**
 * Puts `feature` of `layer` on the map in edit mode, with snapping to its neighbours in view; null when its geometry
 * cannot be edited as a shape (absent, or a collection). Only the shape answers clicks: the outlines are not interactive.
 */
export function editShape(map: L.Map, layer: ViewerLayer, feature: Feature): EditableShape | null {
  if (!editable(feature.geometry)) return null;
  const colour = '#d9480f';
  const group = L.geoJSON(feature.geometry, {
    style: { color: colour, weight: 3, fillOpacity: 0.15 },
    pmIgnore: false,
  } as L.GeoJSONOptions);
  const shape = group.getLayers()[0] as L.Polyline | L.Marker | undefined;
  if (!shape) return null;
  const before = group.getBounds();
  shape.addTo(map);
  let changed = false;
  shape.on('pm:edit', () => {
    changed = true;
  });
  // Snapping targets only: not editable (pmIgnore), not clickable, drawn thin and dashed under the edited shape.
  const outlines = L.geoJSON(undefined, {
    style: { color: '#495057', weight: 1, dashArray: '4 3', fill: false },
    interactive: false,
    pmIgnore: true,
    snapIgnore: false,
  } as L.GeoJSONOptions).addTo(map);
  let removed = false;
  if (layer.geometryType !== 'Point') void loadNeighbours(map, layer, feature.id, outlines, () => removed);
  shape.pm.enable({ snappable: true, snapDistance: snapPx, allowSelfIntersection: false, draggable: false });
  return {
    changedGeometry: () => (changed ? (shape.toGeoJSON(false).geometry as Geometry) : null),
    bounds: () => {
      const all = L.latLngBounds(before.getSouthWest(), before.getNorthEast());
      return shape instanceof L.Marker ? all.extend(shape.getLatLng()) : all.extend(shape.getBounds());
    },
    remove: () => {
      removed = true;
      shape.pm.disable();
      shape.remove();
      outlines.remove();
    },
  };
}

/** Loads the features of the layer in view (without the edited one) as outlines to snap to. */
async function loadNeighbours(
  map: L.Map,
  layer: ViewerLayer,
  editedId: Feature['id'],
  outlines: L.GeoJSON,
  gone: () => boolean,
): Promise<void> {
  const b = map.getBounds();
  const bbox: [number, number, number, number] = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  const found = await featuresIn(layer.id, bbox, neighbourLimit).catch((): Feature[] => []);
  if (gone()) return;
  for (const f of found) if (String(f.id) !== String(editedId) && editable(f.geometry)) outlines.addData(f);
  outlines.bringToBack();
}

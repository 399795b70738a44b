/**
 * Leaflet as the global `L`: Leaflet-Geoman and protomaps-leaflet extend the global, so this module is imported
 * before them.
 */
import L from 'leaflet';

declare global {
  interface Window {
    L: typeof L;
  }
}

window.L = L;

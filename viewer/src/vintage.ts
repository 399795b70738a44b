/**
 * The switch between today's administrative units (from 1 July 2025: the new communes and wards, no districts) and
 * those before 1 July 2025 (2009 boundaries: communes, districts, the two old provinces). Which layer belongs to
 * which vintage comes from the temporal extent of each collection (`/collections`), as any OGC API client reads
 * it: a layer is shown for a date when its extent covers that date. Nothing here knows a layer by name.
 */
import type L from 'leaflet';
import { apiUrl, authHeaders, type ViewerLayer } from './api.ts';
import { h } from './dom.ts';
import { currentLang, onLangChange } from './i18n.ts';

/** The two views: today, or the last day of the old units. */
export type Vintage = 'today' | 'before';

/** The last day of the units before the reorganisation (Vietnam calendar day). */
const lastOldDay = '2025-06-30';

/** The first and last instant (ISO 8601, null = open) of each temporal layer, by id. */
type Extents = Map<string, [string | null, string | null]>;

const texts = {
  en: {
    title: 'Administrative units',
    today: 'Today (from 1 July 2025)',
    before: 'Before 1 July 2025',
    shownToday: 'Shown: communes and wards from 1 July 2025 (approximate boundaries, not legal); no districts.',
    shownBefore: 'Shown: communes, districts and provinces before 1 July 2025 (2009 boundaries).',
  },
  vi: {
    title: 'Đơn vị hành chính',
    today: 'Hiện nay (từ 1/7/2025)',
    before: 'Trước 1/7/2025',
    shownToday: 'Đang hiển thị: xã, phường từ 1/7/2025 (ranh giới gần đúng, không có giá trị pháp lý); không còn cấp huyện.',
    shownBefore: 'Đang hiển thị: xã, huyện, tỉnh trước 1/7/2025 (ranh giới 2009).',
  },
} as const;

function text(key: keyof (typeof texts)['en']): string {
  return texts[currentLang() === 'en' ? 'en' : 'vi'][key];
}

/** The calendar day in Vietnam (UTC+7) of an instant, as YYYY-MM-DD. */
export function vietnamDay(instant: Date): string {
  return new Date(instant.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);
}

/** Does a temporal extent [first, last] (instants, null = open) cover this Vietnam calendar day? */
export function covers(extent: [string | null, string | null], day: string): boolean {
  const [first, last] = extent;
  return (first === null || vietnamDay(new Date(first)) <= day) && (last === null || vietnamDay(new Date(last)) >= day);
}

/** The day a vintage shows. */
function dayOf(vintage: Vintage): string {
  return vintage === 'today' ? vietnamDay(new Date()) : lastOldDay;
}

/** What the viewer needs of the layer panel: the layers and their visibility. */
interface LayerSwitchboard {
  all(): ViewerLayer[];
  visible(): ViewerLayer[];
  /** Shows and hides several layers with one redraw. */
  setVisibility(changes: ReadonlyMap<string, boolean>): void;
  /** Redraws the panel (setVisible leaves its checkboxes as they were). */
  render(): void;
}

/** The switch in the layer panel; `vintage` is what it shows. */
export class VintageSwitch {
  vintage: Vintage = 'today';
  private extents: Extents = new Map();
  private extentsLoad: Promise<Extents> | null = null;
  private readonly box: HTMLElement;

  constructor(
    panel: HTMLElement,
    private readonly layers: LayerSwitchboard,
  ) {
    this.box = h('fieldset', { class: 'vintage', id: 'vintage' });
    panel.querySelector('.panel-title')!.after(this.box);
    onLangChange(() => this.render());
    this.render();
  }

  /**
   * Starts learning the temporal extents (`/collections`): call it beside the requests for the layers, so that the
   * first view waits for neither one after the other.
   */
  loadExtents(): void {
    this.extentsLoad = loadExtents();
  }

  /**
   * The temporal layers the default vintage (today) hides, to leave out of the first drawing of the map (hiding
   * them after it would fetch every tile of the view again).
   */
  async hiddenByDefault(layers: readonly ViewerLayer[]): Promise<Set<string>> {
    const extents = await (this.extentsLoad ??= loadExtents());
    const day = dayOf('today');
    return new Set(layers.filter((l) => extents.has(l.id) && !covers(extents.get(l.id)!, day)).map((l) => l.id));
  }

  /**
   * After the layers are loaded: learn the temporal extents, then on the first load either apply the default
   * (today) or, when a permalink chose the layers, read the vintage from the admin layers it shows.
   */
  async layersLoaded(first: boolean, fromPermalink: boolean): Promise<void> {
    this.extents = await (this.extentsLoad ?? loadExtents());
    this.extentsLoad = null;
    if (first && fromPermalink) {
      const shown = this.layers.visible().filter((l) => this.extents.has(l.id));
      const old = shown.some(
        (l) => covers(this.extents.get(l.id)!, lastOldDay) && !covers(this.extents.get(l.id)!, dayOf('today')),
      );
      const now = shown.some((l) => covers(this.extents.get(l.id)!, dayOf('today')));
      this.vintage = old && !now ? 'before' : 'today';
    } else if (first) {
      this.apply();
    }
    this.render();
    this.box.dataset.ready = 'true'; // for tests: the extents are known and the first choice is applied
  }

  /** Shows the temporal layers valid on the vintage's day and hides the others. */
  select(vintage: Vintage): void {
    this.vintage = vintage;
    this.apply();
    this.render();
  }

  private apply(): void {
    const day = dayOf(this.vintage);
    const changes = new Map<string, boolean>();
    for (const l of this.layers.all()) {
      const extent = this.extents.get(l.id);
      if (extent) changes.set(l.id, covers(extent, day));
    }
    this.layers.setVisibility(changes);
    this.layers.render();
  }

  /**
   * The layers a click asks about: the visible ones plus the hidden administrative layers of the other vintage,
   * so a popup names both the unit of today and the one the place belonged to before (when admin layers are shown).
   */
  identifyLayers(map: L.Map): ViewerLayer[] {
    const visible = this.layers.visible();
    if (!visible.some((l) => this.extents.has(l.id))) return visible;
    const shown = new Set(visible.map((l) => l.id));
    const other = this.layers
      .all()
      .filter((l) => this.extents.has(l.id) && !shown.has(l.id) && l.geometryType === 'Polygon' && map.getZoom() >= l.minzoom);
    return [...visible, ...other];
  }

  private render(): void {
    const radio = (value: Vintage) =>
      h(
        'label',
        { class: 'vintage-choice' },
        h('input', {
          type: 'radio',
          name: 'vintage',
          value,
          checked: this.vintage === value,
          onchange: () => this.select(value),
        }),
        ` ${text(value)}`,
      );
    this.box.dataset.vintage = this.vintage;
    this.box.replaceChildren(
      h('legend', {}, text('title')),
      radio('today'),
      radio('before'),
      h('p', { class: 'vintage-shown', role: 'status' }, text(this.vintage === 'today' ? 'shownToday' : 'shownBefore')),
    );
  }
}

/** The temporal extents of the collections that have one (OGC API Features `extent.temporal.interval`). */
async function loadExtents(): Promise<Extents> {
  const out: Extents = new Map();
  try {
    const res = await fetch(apiUrl('collections', { f: 'json' }), { headers: { Accept: 'application/json', ...authHeaders() } });
    if (!res.ok) return out;
    const body = (await res.json()) as {
      collections?: Array<{ id: string; extent?: { temporal?: { interval?: Array<[string | null, string | null]> } } }>;
    };
    for (const c of body.collections ?? []) {
      const interval = c.extent?.temporal?.interval?.[0];
      if (interval) out.set(c.id, interval);
    }
  } catch {
    // no extents: the switch shows every layer as the panel says (the map still works)
  }
  return out;
}

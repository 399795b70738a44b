/** A horizontal bar chart in SVG (no chart library: a few bars, readable by screen readers and by tests). */
import { svg } from './dom.ts';

/** One bar: its label, value, colour and the value as shown. */
export interface Bar {
  label: string;
  value: number;
  color: string;
  text: string;
}

/** Draws bars sorted as given; the longest bar spans the chart's width. */
export function barChart(bars: Bar[], title: string): SVGElement {
  const rowH = 22;
  const labelW = 190;
  const barW = 150;
  const textW = 70;
  const width = labelW + barW + textW;
  const height = Math.max(rowH, bars.length * rowH);
  const max = Math.max(...bars.map((b) => b.value), 0) || 1;
  const rows = bars.map((b, i) => {
    const y = i * rowH;
    const w = Math.max(1, (b.value / max) * barW);
    const label = b.label.length > 30 ? `${b.label.slice(0, 29)}…` : b.label;
    return svg(
      'g',
      { class: 'bar', 'data-value': b.value, role: 'listitem', 'aria-label': `${b.label}: ${b.text}` },
      svg('title', {}, `${b.label}: ${b.text}`),
      svg('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end' }, label),
      svg('rect', { x: labelW, y: y + 4, width: w.toFixed(1), height: rowH - 8, fill: b.color, rx: 2 }),
      svg('text', { x: labelW + w + 4, y: y + 15 }, b.text),
    );
  });
  return svg(
    'svg',
    { class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'list', 'aria-label': title },
    ...rows,
  );
}

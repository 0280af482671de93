import { chartColours } from '../html/chart-styles.ts';
import { html, type SafeHtml } from '../html/layout.ts';

/** One value of a series at a time (an evaluation's window end); null when it had no value. */
export interface TrendPoint {
  readonly at: string;
  readonly value: number | null;
  /** Drawn as a breach (red): the value broke its threshold. */
  readonly flagged?: boolean;
}

/** A moment marked on the time axis, such as an incident opening. */
export interface TimeMarker {
  readonly at: string;
  readonly label: string;
}

export interface TrendChartSpec {
  /** The figure's caption, also its accessible name. */
  readonly title: string;
  readonly points: readonly TrendPoint[];
  /** A horizontal line: the threshold or the minimum the values are held to. */
  readonly threshold?: { readonly value: number; readonly label: string };
  readonly markers?: readonly TimeMarker[];
  /** A line through the points (default) or one bar per point (counts). */
  readonly kind?: 'line' | 'bars';
  /** The value axis starts at 0 and ends at least here (1 for shares and p-values). */
  readonly atLeast?: number;
}

const WIDTH = 420;
const HEIGHT = 200;
const MARGIN = { top: 14, right: 16, bottom: 34, left: 50 };

/**
 * A small time-series chart as inline SVG, no script: the values over time as a line with a dot
 * per evaluation (red where flagged) or as bars, the threshold as a dashed line, and markers
 * (incidents) as labelled vertical lines. Every value is escaped; each dot and bar carries its
 * time and value (`data-at`, `data-value`) and a tooltip.
 */
export function trendChart(spec: TrendChartSpec): SafeHtml {
  const label = `${spec.title}${spec.threshold ? `; ${spec.threshold.label} ${formatValue(spec.threshold.value)}` : ''}`;
  const points = [...spec.points].sort((a, b) => a.at.localeCompare(b.at));
  const markers = spec.markers ?? [];
  const known = points.filter((p): p is TrendPoint & { value: number } => p.value !== null);
  const open = (body: SafeHtml) =>
    html`<svg class="trend" role="img" aria-label="${label}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" xmlns="http://www.w3.org/2000/svg"${spec.threshold ? html` data-threshold="${spec.threshold.value}"` : ''}><title>${label}</title>${body}</svg>`;
  if (known.length === 0) {
    return open(
      html`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" class="empty">No value yet</text>`,
    );
  }

  const times = [...points.map((p) => Date.parse(p.at)), ...markers.map((m) => Date.parse(m.at))];
  let t0 = Math.min(...times);
  let t1 = Math.max(...times);
  const bars = spec.kind === 'bars';
  const pad = t1 > t0 ? (t1 - t0) / Math.max(8, points.length * 2) : 3_600_000;
  if (bars || t1 === t0) {
    t0 -= pad;
    t1 += pad;
  }
  const highest = Math.max(spec.atLeast ?? 0, spec.threshold?.value ?? 0, ...known.map((p) => p.value));
  const bottom = Math.min(0, ...known.map((p) => p.value));
  const step = niceStep((highest - bottom) / 4);
  const top = Math.max(step, Math.ceil(highest / step - 1e-9) * step);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (at: string) => round(MARGIN.left + ((Date.parse(at) - t0) / (t1 - t0)) * plotW);
  const y = (v: number) => round(MARGIN.top + plotH - ((v - bottom) / (top - bottom)) * plotH);

  const levels = Array.from({ length: Math.round((top - bottom) / step) + 1 }, (_, i) => bottom + i * step);
  const grid = levels.map(
    (v) =>
      html`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${MARGIN.left - 6}" y="${y(v) + 4}" text-anchor="end">${formatValue(v)}</text>`,
  );
  const span = t1 - t0;
  const ticks = (points.length <= 7 ? points.map((p) => Date.parse(p.at)) : evenTicks(t0, t1)).map(
    (t) =>
      html`<text x="${x(new Date(t).toISOString())}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${formatTime(t, span)}</text>`,
  );
  const tip = (p: TrendPoint & { value: number }) =>
    `${new Date(p.at).toISOString()}: ${formatValue(p.value)}`;
  const colour = (p: TrendPoint) => (p.flagged ? chartColours.flagged : chartColours.series);
  let shapes: SafeHtml[];
  if (bars) {
    const width = Math.max(2, Math.min(24, (plotW / Math.max(1, points.length)) * 0.6));
    shapes = known.map(
      (p) =>
        html`<rect class="value" data-at="${p.at}" data-value="${p.value}" x="${round(x(p.at) - width / 2)}" y="${y(p.value)}" width="${round(width)}" height="${round(y(bottom) - y(p.value))}" fill="${colour(p)}"><title>${tip(p)}</title></rect>`,
    );
  } else {
    const path = known.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.at)} ${y(p.value)}`).join(' ');
    shapes = [
      html`<path d="${path}" fill="none" stroke="${chartColours.series}" stroke-width="2"/>`,
      ...known.map(
        (p) =>
          html`<circle class="value" data-at="${p.at}" data-value="${p.value}" cx="${x(p.at)}" cy="${y(p.value)}" r="${p.flagged ? 4.5 : 3.5}" fill="${colour(p)}"><title>${tip(p)}</title></circle>`,
      ),
    ];
  }
  const threshold = spec.threshold
    ? html`<line class="threshold" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(spec.threshold.value)}" y2="${y(spec.threshold.value)}"><title>${spec.threshold.label} ${formatValue(spec.threshold.value)}</title></line>`
    : '';
  const marks = markers.map(
    (m) =>
      html`<line class="marker" data-at="${m.at}" x1="${x(m.at)}" x2="${x(m.at)}" y1="${MARGIN.top}" y2="${HEIGHT - MARGIN.bottom}"><title>${m.label}</title></line><text class="marker-label" x="${x(m.at) + 3}" y="${MARGIN.top + 9}">${m.label}</text>`,
  );
  return open(
    html`${grid}<line class="axis" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(bottom)}" y2="${y(bottom)}"/>${ticks}${marks}${threshold}${shapes}`,
  );
}

/** A chart in a figure with its caption. */
export function trendFigure(caption: SafeHtml | string, spec: TrendChartSpec): SafeHtml {
  return html`<figure class="trend"><figcaption>${caption}</figcaption>${trendChart(spec)}</figure>`;
}

/** Four evenly spaced times on the axis, for series too long to label every point. */
function evenTicks(t0: number, t1: number): number[] {
  const n = 4;
  return Array.from({ length: n }, (_, i) => t0 + ((t1 - t0) * (i + 0.5)) / n);
}

/** UTC, as the windows are aligned: `HH:mm` within a day, `MM-DD HH:mm` over longer spans. */
export function formatTime(t: number, span: number): string {
  const iso = new Date(t).toISOString();
  return span < 86_400_000 ? iso.slice(11, 16) : iso.slice(5, 16).replace('T', ' ');
}

/** Four significant digits; small and large values in exponent form. */
export function formatValue(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs < 1e-3 || abs >= 1e6) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/** A round step for the value axis: 1, 2, 2.5 or 5 times a power of ten, at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0)) return 0.25;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 2.5, 5, 10]) {
    const step = Number((factor * magnitude).toPrecision(12));
    if (raw <= step * (1 + 1e-9)) return step;
  }
  return 10 * magnitude;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

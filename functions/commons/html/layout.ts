import type { APIGatewayProxyResult } from 'aws-lambda';
import { chartStyles } from './chart-styles.ts';

/** Markup that is already safe to insert: built by `html`, never from raw input. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => entities[c] as string);
}

function insert(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(insert).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

/**
 * The only way pages are written: a template whose every inserted value is escaped, unless it is
 * SafeHtml (another `html` fragment) or an array of them. Nothing a user or a model sent can
 * become markup.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += insert(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Self-contained: no scripts, no external assets; system fonts, readable contrast, visible focus. */
const styles = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --line: #d0d7de; --accent: #0b57d0; --bad: #b3261e; --good: #146c2e; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9ea7b3; --line: #30363d; --accent: #7cacf8; --bad: #ff8a80; --good: #7ee2a8; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 .5rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
p, ul, dl { margin: .5rem 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.bad { color: var(--bad); font-weight: 600; }
.good { color: var(--good); font-weight: 600; }
.muted { color: var(--muted); }
.notice { border-left: 4px solid var(--accent); padding: .5rem 1rem; margin: 1rem 0; }
.notice.bad { border-color: var(--bad); font-weight: normal; }
fieldset { border: 1px solid var(--line); padding: .75rem 1rem; margin: 1rem 0; }
legend { font-weight: 600; padding: 0 .25rem; }
label { display: block; margin: .35rem 0; }
textarea { width: 100%; min-height: 6rem; font: inherit; padding: .5rem; }
button { font: inherit; padding: .6rem 1.2rem; border: 0; border-radius: .3rem; background: var(--accent); color: #fff; cursor: pointer; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .25rem; }
caption { text-align: left; padding: .25rem 0; }
thead th { white-space: nowrap; }
th.num { text-align: right; }
tr.breach { background: color-mix(in srgb, var(--bad) 8%, transparent); }
.verdict { display: inline-block; padding: 0 .5rem; border-radius: .75rem; border: 1px solid currentColor; font-size: .85rem; white-space: nowrap; }
.distributions { display: grid; grid-template-columns: repeat(auto-fill, minmax(26rem, 1fr)); gap: 1rem; }
figure.distribution { margin: 0; }
figure.distribution figcaption { font-weight: 600; }
svg.pair { display: block; }
.small { font-size: .85rem; }
`;

/** Security headers of every page: nothing loads from elsewhere, nothing frames it, nothing leaks the signed URL. */
const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'x-robots-tag': 'noindex, nofollow',
} as const;

/** A complete page: language, viewport, title, one `main` landmark. */
export function page(statusCode: number, title: string, body: SafeHtml): APIGatewayProxyResult {
  const document = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title} · Vigil</title>
<style>${new SafeHtml(styles + chartStyles)}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
  return { statusCode, headers: { ...pageHeaders }, body: document.value };
}

/** A short page for an outcome or an error: a heading and a paragraph. */
export function messagePage(statusCode: number, title: string, message: string): APIGatewayProxyResult {
  return page(statusCode, title, html`<h1>${title}</h1>\n<p>${message}</p>`);
}

/** A definition list of label/value pairs; undefined values are left out. */
export function facts(rows: readonly (readonly [string, unknown])[]): SafeHtml {
  const shown = rows.filter(([, value]) => value !== undefined && value !== null && value !== '');
  return html`<dl>${shown.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>`;
}

/** A table with a caption and column headers; cells are escaped unless SafeHtml (a row may be a {@link tableRow}). */
export function table(
  caption: string,
  head: readonly string[],
  rows: readonly (readonly unknown[] | SafeHtml)[],
): SafeHtml {
  return html`<div class="table"><table>
<caption class="muted">${caption}</caption>
<thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${rows.map((row) => (row instanceof SafeHtml ? row : tableRow(row)))}</tbody>
</table></div>`;
}

/** One body row of {@link table}: cells escaped unless SafeHtml, numbers right-aligned. */
export function tableRow(row: readonly unknown[]): SafeHtml {
  return html`<tr>${row.map((cell) => (typeof cell === 'number' ? html`<td class="num">${formatNumber(cell)}</td>` : html`<td>${cell}</td>`))}</tr>`;
}

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1000 || Math.abs(value) < 0.001 ? value.toExponential(3) : value.toFixed(4);
}

/** Colours shared by the approval pages, the dashboard and the reports. */
export const chartColours = {
  reference: '#3b6ea5',
  current: '#e07b24',
  series: '#3b6ea5',
  flagged: '#b42318',
  threshold: '#b42318',
  marker: '#6941c6',
} as const;

/** The CSS the charts need; every page that shows them includes it once. */
export const chartStyles = `
.trends { display: grid; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); gap: 1rem; margin: .5rem 0 1rem; }
figure.trend { margin: 0; border: 1px solid var(--line, #d9dee7); border-radius: .5rem; padding: .5rem .75rem .25rem; background: var(--bg, #fff); }
figure.trend figcaption { font-weight: 600; font-size: .95rem; }
figure.trend figcaption .note { display: block; font-weight: 400; font-size: .85rem; color: var(--muted, #5b6474); }
svg.trend { display: block; width: 100%; height: auto; }
svg.chart { max-width: 100%; height: auto; }
svg .grid { stroke: #e7eaf0; }
svg .axis { stroke: #98a2b3; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: #475467; }
svg .legend text { font-size: 12px; fill: #1d2433; }
svg .threshold { stroke: ${chartColours.threshold}; stroke-dasharray: 5 4; stroke-width: 1.5; }
svg text.threshold-label { fill: ${chartColours.threshold}; stroke: none; }
svg .marker { stroke: ${chartColours.marker}; stroke-width: 1.5; stroke-dasharray: 2 3; }
svg text.marker-label { fill: ${chartColours.marker}; stroke: none; font-weight: 600; }
svg .empty { font-size: 13px; }
@media (prefers-color-scheme: dark) { svg text { fill: #c9d1d9; } svg .legend text { fill: #e6edf3; } svg .grid { stroke: #30363d; } }
`;

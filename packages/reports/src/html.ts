/** Escapes text for HTML text nodes and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Shared page shell. Everything is inline (no fonts, scripts or images from anywhere): the file
 * is opened offline by legal staff, attached to case files and printed on A4.
 */
export function page(title: string, body: string, extraCss = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${BASE_CSS}${extraCss}</style></head>
<body>${body}</body></html>
`;
}

/** Verdict shapes are the primary cue; colour only repeats them (readable in greyscale print). */
export const VERDICT_SYMBOL: Record<'present' | 'absent' | 'inconclusive', string> = {
  present: '●',
  absent: '■',
  inconclusive: '▲',
};

const BASE_CSS = `
:root{--present:#b00020;--absent:#1b6e36;--inconclusive:#7a5c00;--ink:#111;--muted:#555;--line:#bbb}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);margin:0 auto;max-width:64rem;padding:1rem}
h1{font-size:1.5rem;margin:.2rem 0 .6rem}h2{font-size:1.2rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem;font-size:13px}
th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}
dl.facts dt{font-weight:600}dl.facts dd{margin:0}
.banner{padding:.6rem .8rem;border:2px solid;font-weight:700;margin:.6rem 0}
.banner.ok{border-color:var(--absent);color:var(--absent)}
.banner.bad{border-color:var(--present);color:var(--present)}
.banner.unknown{border-color:var(--inconclusive);color:var(--inconclusive)}
.v-present{color:var(--present);fill:var(--present);stroke:var(--present)}
.v-absent{color:var(--absent);fill:var(--absent);stroke:var(--absent)}
.v-inconclusive{color:var(--inconclusive);stroke:var(--inconclusive);fill:#fff}
.reappeared{font-weight:700}
.timeline{width:100%;height:auto;font-size:11px;overflow:visible}
.timeline .axis{stroke:#333}.timeline .deadline{stroke:#000;stroke-dasharray:5 3;stroke-width:1.5}
.timeline .bracket{fill:#e8e8e8;stroke:#999;stroke-dasharray:2 2}
.timeline .ring{fill:none;stroke:var(--present);stroke-width:2.5}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;padding:0;list-style:none;font-size:13px}
.muted{color:var(--muted)}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
.scroll{overflow-x:auto}
tr:target{outline:3px solid #1f5fa8}
@media (max-width:40rem){body{font-size:14px;padding:.5rem}dl.facts{grid-template-columns:1fr}table{font-size:12px}}
@media print{body{max-width:none;padding:0;font-size:10.5pt}@page{size:A4;margin:14mm}
section.item,figure,tr{break-inside:avoid}a{color:inherit;text-decoration:none}.scroll{overflow:visible}}
`;

/**
 * A self-contained HTML timeline of a run: one row per trace line, one colour per actor, the
 * violation highlighted. No scripts or external assets, so it opens anywhere and diffs cleanly.
 */
import type { RunResult } from '../kernel/kernel.ts';
import { formatVirtualTime } from '../kernel/trace.ts';

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function traceToHtml(title: string, result: RunResult): string {
  const actors = [...new Set(result.trace.map((e) => e.actor))];
  const colour = (actor: string) => PALETTE[actors.indexOf(actor) % PALETTE.length];
  const rows = result.trace
    .map((e) => {
      const detail = e.detail ? escape(JSON.stringify(e.detail)) : '';
      const cls = e.what.startsWith('VIOLATION') ? ' class="violation"' : '';
      return `<tr${cls}><td>${formatVirtualTime(e.t)}</td><td style="color:${colour(e.actor)}">${escape(e.actor)}</td><td>${escape(e.what)}</td><td>${detail}</td></tr>`;
    })
    .join('\n');
  const verdict = result.violation
    ? `<p class="violation">${escape(result.violation.invariant)} at ${formatVirtualTime(result.violation.time)}: ${escape(result.violation.message)}</p>`
    : '<p>ok: no invariant violated</p>';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body{font-family:ui-monospace,monospace;font-size:13px;margin:2em}
table{border-collapse:collapse}td{padding:2px 10px;vertical-align:top;border-bottom:1px solid #eee}
.violation{background:#fdd;font-weight:bold}
</style></head><body>
<h1>${escape(title)}</h1>
${verdict}
<p>${result.steps} steps, ${formatVirtualTime(result.virtualMs)} virtual, seed ${result.seed}</p>
<table><thead><tr><th>time</th><th>actor</th><th>what</th><th>detail</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}

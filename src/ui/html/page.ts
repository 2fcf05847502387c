// One self-contained HTML file for a run's report: inline style, inline
// script, the data inline; no font, image or script is fetched, so it opens
// from a file:// URL offline and can be attached to a change ticket.

import type { Report } from '../report.ts';
import { formatRecap } from '../recap.ts';
import { SecretRegistry } from '../../util/secrets.ts';
import { CLIENT_JS } from './client.ts';
import { pageData, scriptJson } from './data.ts';

const CSS = `
:root { --ok:#2e9d4f; --changed:#d8a100; --failed:#d33; --unreachable:#8b1020; --skipped:#3aa7b8; --reboot:#8a4fd0; --line:#ddd; }
* { box-sizing: border-box; }
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #1f2a36; color: #fff; padding: 12px 20px; }
header h1 { margin: 0 0 4px; font-size: 18px; }
.verdict { font-weight: 600; font-size: 15px; }
.verdict.good { color: #7be39a; } .verdict.bad { color: #ff8a8a; }
main { padding: 12px 20px 40px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin: 12px 0; padding: 10px 14px; }
h2 { font-size: 15px; margin: 0 0 8px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dt { color: #666; } dd { margin: 0; word-break: break-all; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; background: #eef; color: #222; margin-right: 4px; }
.badge.st-ok { background: #dff3e4; } .badge.st-changed { background: #fbf0cc; } .badge.st-failed, .badge.st-unreachable { background: #fbdada; } .badge.st-skipped { background: #dcf1f4; }
#filters { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--line); padding: 6px 0; margin-bottom: 6px; display: flex; gap: 14px; flex-wrap: wrap; align-items: center; }
#filters label { white-space: nowrap; }
#shown { color: #666; }
#axis { position: relative; height: 16px; margin-left: 200px; border-bottom: 1px solid var(--line); }
.tick { position: absolute; top: 0; font-size: 10px; color: #888; border-left: 1px solid #ccc; padding-left: 2px; }
/* a thousand lanes: only those in view are laid out and painted */
.lane { display: flex; align-items: center; height: 16px; border-bottom: 1px solid #f3f3f3; content-visibility: auto; contain-intrinsic-size: auto 16px; }
section.lazy { content-visibility: auto; contain-intrinsic-size: auto 1200px; }
details.host-details { content-visibility: auto; contain-intrinsic-size: auto 22px; }
.lane:hover { background: #f4f7ff; }
.lane .host { width: 200px; flex: none; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; font-family: ui-monospace, monospace; font-size: 11px; }
.lane .mark { color: var(--failed); font-size: 10px; }
.lane.st-failed, .lane.st-unreachable { background: #fff1f1; }
.track { position: relative; flex: 1; height: 12px; }
.seg { position: absolute; top: 1px; height: 10px; min-width: 1px; border-radius: 1px; }
.seg.k-connect { background: #b9c2cc; } .seg.k-facts { background: #8fb3d9; }
.seg.k-step.st-ok { background: var(--ok); } .seg.k-step.st-changed { background: var(--changed); }
.seg.st-failed { background: var(--failed) !important; outline: 1px solid #800; }
.seg.st-unreachable { background: var(--unreachable) !important; }
.seg.k-reboot { background: repeating-linear-gradient(45deg, var(--reboot), var(--reboot) 3px, #b48be6 3px, #b48be6 6px); }
.seg.k-verify { background: #1d7f8c; top: 3px; height: 6px; }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 4px; margin-right: 5px; background: #999; }
.dot.st-ok { background: var(--ok); } .dot.st-changed { background: var(--changed); } .dot.st-failed { background: var(--failed); } .dot.st-unreachable { background: var(--unreachable); } .dot.st-skipped { background: var(--skipped); }
td.st-failed, td.st-unreachable, b.st-failed, b.st-unreachable { color: var(--failed); }
b.st-changed { color: #a07800; } b.st-ok { color: var(--ok); }
.legend { display: flex; gap: 12px; flex-wrap: wrap; margin: 4px 0 8px 200px; font-size: 11px; color: #555; }
.legend i { position: static; display: inline-block; width: 18px; vertical-align: middle; margin-right: 4px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #eee; padding: 3px 8px 3px 0; font-size: 12px; }
td pre { margin: 0; white-space: pre-wrap; font-size: 11px; }
.gpurow { display: grid; grid-template-columns: 150px 260px minmax(220px, 1fr) 100px 200px 170px; gap: 0 8px; border-bottom: 1px solid #eee; padding: 3px 0; font-size: 12px; content-visibility: auto; contain-intrinsic-size: auto 44px; }
.gpurow.head { font-weight: 600; content-visibility: visible; }
.hidden { display: none !important; }
details.host-details { border-bottom: 1px solid #eee; padding: 2px 0; }
details.host-details summary { cursor: pointer; font-family: ui-monospace, monospace; }
.step { margin: 4px 0 4px 16px; }
.change { margin-left: 12px; } .change::before { content: "~ "; color: #a07800; }
.note { margin-left: 12px; color: #555; } .note::before { content: "note: "; color: #888; }
pre.diff { background: #f6f8fa; padding: 6px; margin: 4px 0 4px 12px; overflow-x: auto; font-size: 11px; }
pre.diff .add { color: #137333; } pre.diff .del { color: #b3261e; } pre.diff .hunk { color: #0b7285; } pre.diff .hd { font-weight: 600; }
pre#recap { max-height: 260px; overflow: auto; background: #f6f8fa; padding: 6px; font-size: 11px; }
.none { color: #666; }
`;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** The page for a report. The report is masked already; the recap is rendered as the terminal shows it. */
export function renderHtml(report: Report): string {
  const recap = formatRecap(report, { color: false, secrets: new SecretRegistry() });
  const data = pageData(report, recap);
  const title = `passthru ${report.check ? 'dry run' : 'rollout'} ${report.started_at.slice(0, 19).replace('T', ' ')} UTC · ${report.summary.hosts} hosts`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><div id="verdict" class="verdict"></div><div id="counts"></div></header>
<main>
<section><h2>Run</h2><dl id="runinfo"></dl></section>
<section id="timeline-section"><h2>Timeline</h2>
<div id="filters"><span id="statuses"></span><label>group <select id="group"></select></label><label>host <input id="search" type="search" placeholder="name contains"></label><span id="shown"></span></div>
<div class="legend"><span><i class="seg k-connect">&nbsp;</i>connect</span><span><i class="seg k-facts">&nbsp;</i>facts</span><span><i class="seg k-step st-ok">&nbsp;</i>step ok</span><span><i class="seg k-step st-changed">&nbsp;</i>step changed</span><span><i class="seg k-reboot">&nbsp;</i>down for a reboot</span><span><i class="seg k-verify">&nbsp;</i>verification</span><span><i class="seg st-failed">&nbsp;</i>failed</span></div>
<div id="axis"></div>
<div id="lanes"></div>
</section>
<section class="lazy"><h2>Failures (<span id="nfail"></span>)</h2><div id="failures"></div></section>
<section class="lazy"><h2>GPU map (<span id="ngpu"></span>)</h2><div id="gpus"></div></section>
<section class="lazy"><h2>Hosts: changes, notes and diffs</h2><div id="details"></div></section>
<section class="lazy"><h2>Recap</h2><pre id="recap"></pre></section>
</main>
<script id="data" type="application/json">${scriptJson(data)}</script>
<script>${CLIENT_JS}</script>
</body>
</html>
`;
}

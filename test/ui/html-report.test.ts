// The HTML report of a real rollout on the embedded lab (one compute without
// vmx fails at preflight), opened in headless Chromium from its file:// URL:
// one lane per host, a reboot span on each rebooted compute as long as the
// report says, the failed host marked with its error, the filters, and not
// one request leaving the file. The screenshot is kept as an artifact
// (test/artifacts/html-report.png; PASSTHRU_ARTIFACTS=DIR puts it elsewhere).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LAB_SECRETS } from '@passthru/lab/secrets.ts';
import { runCommand } from '../../src/commands/run.ts';
import { reportCommand } from '../../src/commands/report.ts';
import { ReportSchema } from '../../src/ui/report-schema.ts';
import type { Report } from '../../src/ui/report.ts';
import { SecretRegistry } from '../../src/util/secrets.ts';
import { chromiumMissing, openPage, type Page } from './chromium.ts';
import { Sink } from './fixtures/events.ts';
import { NO_VMX_ERROR, PLAYBOOK, startUiLab, type UiLab } from './lab-run.ts';

const missing = chromiumMissing();
const ARTIFACTS = resolve(process.env['PASSTHRU_ARTIFACTS'] ?? 'test/artifacts');

describe('HTML report of a rollout on the embedded lab, in headless Chromium', { skip: missing }, () => {
  let lab: UiLab;
  let report: Report;
  let html: string;
  let page: Page;
  let code: number;
  const out = new Sink(false);

  before(async () => {
    lab = await startUiLab(5);
    const secrets = new SecretRegistry();
    for (const s of LAB_SECRETS) secrets.add(s);
    const json = join(lab.dir, 'report.json');
    html = join(lab.dir, 'report.html');
    code = await runCommand({
      playbook: PLAYBOOK,
      inventory: lab.cluster.inventoryPath,
      check: false,
      diff: false,
      forks: 50,
      extraVars: ['image=cirros-0.6.2-x86_64-disk', 'flavor=gpu.large', 'instances=migrate'],
      json,
      html,
      yes: true,
      become: false,
      out,
      tty: false,
      signal: new AbortController().signal,
      secrets,
    });
    report = ReportSchema.parse(JSON.parse(readFileSync(json, 'utf8'))) as Report;
    page = await openPage(pathToFileURL(html).href, { width: 1400, height: 1000 });
  });

  after(async () => {
    await page?.close();
    await lab?.stop();
  });

  it('the run failed the compute without vmx and rebooted the others that needed it; the report has their facts', () => {
    assert.equal(code, 2, out.text);
    assert.equal(report.hosts[lab.failing]?.status, 'failed');
    assert.match(report.hosts[lab.failing]?.error ?? '', new RegExp(NO_VMX_ERROR.replace(/[()[\]/.*+?]/g, '\\$&')));
    const rebooted = Object.entries(report.hosts).filter(([, h]) => h.steps.some((s) => s.kind === 'reboot' && s.status === 'changed'));
    assert.deepEqual(rebooted.map(([n]) => n).sort(), ['gpu-rtx', 'gpu-t4']);
    const rtx = report.hosts['gpu-rtx']?.facts;
    assert.equal(rtx?.boot_mode, 'uefi');
    assert.equal(rtx?.gpus[0]?.functions.length, 4);
    assert.ok(rtx?.gpus[0]?.functions.every((f) => f.iommu_group !== undefined && f.alias !== undefined));
  });

  it('one lane per host, the failed host marked, its error on hover and in the failures list', async () => {
    // a step's title is made when the pointer is on it
    await page.evaluate(`document.querySelectorAll('#lanes .seg').forEach((s) => s.dispatchEvent(new MouseEvent('mouseover', { bubbles: true })))`);
    const titles = await page.evaluate<string[]>(`[...document.querySelectorAll('#lanes .seg.k-reboot')].map((s) => s.title)`);
    assert.ok(titles.length > 0 && titles.every((t) => /^gpu-\w+ \| reboot to enable the IOMMU: down \d+\.\ds$/.test(t)), titles.join('\n'));
    const lanes = await page.evaluate<Array<{ name: string; cls: string; title: string }>>(
      `[...document.querySelectorAll('#lanes .lane')].map((l) => ({ name: l.querySelector('.host').textContent, cls: l.className, title: l.title }))`,
    );
    assert.equal(lanes.length, Object.keys(report.hosts).length);
    assert.deepEqual(lanes.map((l) => l.name.replace(/ FAILED$/, '')), Object.keys(report.hosts));
    const failed = lanes.find((l) => l.name.startsWith(lab.failing));
    assert.ok(failed?.cls.includes('st-failed'), JSON.stringify(failed));
    assert.match(failed?.name ?? '', /FAILED$/);
    assert.ok(failed?.title.includes(NO_VMX_ERROR), failed?.title);
    const failSeg = await page.evaluate<string>(`document.querySelector('.lane.st-failed .seg.st-failed').title`);
    assert.ok(failSeg.includes(NO_VMX_ERROR), failSeg);
    const list = await page.evaluate<string>(`document.getElementById('failures').textContent`);
    assert.ok(list.includes(lab.failing) && list.includes(NO_VMX_ERROR), list);
  });

  it('a reboot span on each rebooted compute, as long as the report says', async () => {
    const spans = await page.evaluate<Array<{ host: string; ms: number; frac: number }>>(
      `[...document.querySelectorAll('#lanes .lane')].flatMap((l) => {
        const track = l.querySelector('.track').getBoundingClientRect();
        return [...l.querySelectorAll('.seg.k-reboot')].map((s) => ({ host: l.querySelector('.host').textContent, ms: Number(s.dataset.ms), frac: s.getBoundingClientRect().width / track.width }));
      })`,
    );
    const expected = Object.entries(report.hosts).flatMap(([host, h]) => h.steps.filter((s) => s.kind === 'reboot' && s.status !== 'skipped').map((s) => ({ host, ms: s.duration_ms })));
    assert.equal(spans.length, expected.length);
    assert.ok(expected.length >= 2);
    for (const e of expected) {
      const span = spans.find((s) => s.host === e.host);
      assert.ok(span, `no reboot span for ${e.host}`);
      assert.equal(span.ms, e.ms);
      // drawn to scale: the span's share of the lane is the reboot's share of the run (within a pixel)
      const track = 1400 - 2 * 20 - 2 * 14 - 200;
      assert.ok(Math.abs(span.frac - e.ms / report.duration_ms) * track < 1.5, `${e.host}: ${span.frac} of the lane, ${e.ms / report.duration_ms} of the run`);
    }
  });

  it('the summary matches the recap, and the GPU map lists every GPU with its group, alias and flavor', async () => {
    const verdict = await page.evaluate<string>(`document.getElementById('verdict').textContent`);
    assert.match(verdict, /^FAILED: 1 failed \(cpu-only\) of 5 hosts/);
    assert.ok(out.text.includes(`\n${verdict}\n`), "the page says what the recap on the terminal said");
    const recap = await page.evaluate<string>(`document.getElementById('recap').textContent`);
    assert.match(recap, /^PLAY RECAP\ncontroller : ok=/);
    // textContent: a row out of view is not laid out (content-visibility: auto), and Chromium's innerText gives '' there
    const rows = await page.evaluate<string[][]>(`[...document.querySelectorAll('#gpus .row')].map((r) => [...r.children].map((c) => c.textContent))`);
    const gpus = Object.values(report.hosts).reduce((n, h) => n + (h.facts?.gpus.length ?? 0), 0);
    assert.equal(rows.length, gpus);
    const rtx = rows.find((r) => r[0] === 'gpu-rtx');
    assert.ok(rtx, `no GPU row for gpu-rtx: ${JSON.stringify(rows)}`);
    assert.match(rtx?.[2] ?? '', /0000:3b:00\.0 10de:1e04 vga/);
    assert.match(rtx?.[4] ?? '', /nvidia-1e04-vga/);
    assert.match(rtx?.[5] ?? '', /^gpu\.large/);
  });

  it('filters: by status and by group', async () => {
    const visible = (): Promise<string[]> => page.evaluate<string[]>(`[...document.querySelectorAll('#lanes .lane:not(.hidden) .host')].map((h) => h.textContent)`);
    await page.evaluate(`(() => { const c = document.querySelector('#statuses input[value="2"]'); c.checked = false; c.dispatchEvent(new Event('input', { bubbles: true })); })()`);
    assert.ok(!(await visible()).some((n) => n.startsWith(lab.failing)));
    assert.equal((await visible()).length, 4);
    await page.evaluate(`(() => { const c = document.querySelector('#statuses input[value="2"]'); c.checked = true; const g = document.getElementById('group'); g.value = String([...g.options].findIndex((o) => o.text === 'controller') - 1); g.dispatchEvent(new Event('input', { bubbles: true })); })()`);
    assert.deepEqual(await visible(), ['controller']);
    await page.evaluate(`(() => { const g = document.getElementById('group'); g.value = '-1'; g.dispatchEvent(new Event('input', { bubbles: true })); })()`);
  });

  it('works offline from the file: no request leaves it, no external reference in the page; a screenshot is kept', async () => {
    assert.deepEqual(page.requests, [pathToFileURL(html).href]);
    const refs = await page.evaluate<string[]>(`[...document.querySelectorAll('[src], [href]')].map((e) => e.getAttribute('src') ?? e.getAttribute('href'))`);
    for (const r of refs) assert.match(r, /^(data:|#)/, `external reference ${r}`);
    assert.match(readFileSync(html, 'utf8'), /Content-Security-Policy" content="default-src 'none'/);
    mkdirSync(ARTIFACTS, { recursive: true });
    const png = join(ARTIFACTS, 'html-report.png');
    await page.screenshot(png, true);
    assert.ok(statSync(png).size > 10_000);
  });

  it('`passthru report` draws the same page from the JSON; a file that is not a report gets one clear error', async () => {
    const again = join(lab.dir, 'again.html');
    const o = new Sink(false);
    assert.equal(await reportCommand({ file: join(lab.dir, 'report.json'), html: again, out: o }), 0);
    assert.equal(readFileSync(again, 'utf8'), readFileSync(html, 'utf8'));
    await assert.rejects(reportCommand({ file: html, html: again, out: o }), /report\.html is not JSON/);
    await assert.rejects(reportCommand({ file: join(lab.dir, 'inventory.ini'), html: again, out: o }), /inventory\.ini is not JSON/);
  });
});

// Helpers of the playbook acceptance tests: the CLI as a child process,
// file snapshots of lab hosts, and nova's own code (python3-nova) loading a
// host's configuration.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { HostSpec, LabFs, PciDevice } from '@passthru/lab/types.ts';
import { realLabUnavailable, startRealLab, type RealLab } from '@passthru/lab/real/lab.ts';
import type { Report } from '../../src/ui/report.ts';
import { skipLoudly } from '../ssh/sshd-fixture.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../bin/passthru.js', import.meta.url));
export const PLAYBOOK = fileURLToPath(new URL('../../playbooks/pci-passthrough.yaml', import.meta.url));
export const SYSTEM_PYTHON = '/usr/bin/python3';
const NOVA_PROBE = fileURLToPath(new URL('./nova_probe.py', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `node bin/passthru.js ARGS` as a user runs it (no TTY, no colour); never throws for a non-zero exit. */
export function passthru(args: string[], timeoutMs = 240_000): Promise<CliRun> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

export function readReport(path: string): Report {
  return JSON.parse(readFileSync(path, 'utf8')) as Report;
}

/** Output lines about one host (`HH:MM:SS.mmm [host] ...`) with the note and diff lines that follow them. */
export function hostLines(output: string, host: string): string {
  const out: string[] = [];
  let mine = false;
  for (const line of output.split('\n')) {
    // a timestamped line starts a host's entry; diff and indented lines belong to it; a heading ends it
    if (/^\d\d:\d\d:\d\d\.\d{3} /.test(line)) mine = line.includes(`[${host}]`);
    else if (/^[A-Za-z]/.test(line)) mine = false;
    if (mine) out.push(line);
  }
  return out.join('\n');
}

/** Paths whose content differs between two snapshots (added and removed ones too). */
export function changedPaths(before: Record<string, string>, after: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).sort();
}

/** Every regular file of an embedded-lab host (path -> content), outside the kernel's and the boot's own trees. */
export function snapshotFs(fs: LabFs, skip: readonly string[] = ['/proc', '/sys', '/dev', '/tmp']): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of fs.readdir(dir)) {
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if (skip.includes(path)) continue;
      if (fs.isDirectory(path)) walk(path);
      else {
        const text = fs.readFile(path);
        if (text !== undefined) out[path] = text;
      }
    }
  };
  walk('/');
  return out;
}

/** The functions of the passthrough cards (vendor `vendor`) of a host, grouped by card (bus:slot). */
export function gpuCards(spec: HostSpec, vendor = '10de'): PciDevice[][] {
  const bySlot = new Map<string, PciDevice[]>();
  for (const d of spec.devices.filter((x) => x.vendor === vendor)) {
    const slot = d.address.slice(0, d.address.lastIndexOf('.'));
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), d]);
  }
  return [...bySlot.values()];
}

export interface NovaProbeRequest {
  release: string;
  files: string[];
  devices?: Array<{ address: string; vendor_id: string; product_id: string }>;
}

export interface NovaProbeResult {
  ok: boolean;
  stage?: string;
  exception?: string;
  message?: string;
  aliases?: Record<string, { numa_policy: string; specs: Array<Record<string, string>> }>;
  device_spec?: string[];
  assignable?: string[];
  enabled_filters?: string[];
  unknown_filters?: string[];
}

/** Why nova's own code cannot be used here, or undefined. */
export function novaUnavailable(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(SYSTEM_PYTHON, ['-c', 'import nova.conf, nova.pci.request, nova.pci.whitelist, nova.scheduler.filters'], { timeout: 60_000 }, (err, _out, stderr) => {
      resolve(err ? `needs python3-nova for ${SYSTEM_PYTHON} (apt-get install python3-nova): ${String(stderr).trim().split('\n').pop() ?? err.message}` : undefined);
    });
  });
}

/** Load configurations with nova's own code (test/playbooks/nova_probe.py), one answer per request. */
export function novaProbe(requests: NovaProbeRequest[]): Promise<NovaProbeResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, [NOVA_PROBE], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stdout.split('\n').filter((l) => l.trim() !== '');
      if (lines.length !== requests.length) return reject(new Error(`nova_probe.py exited ${code} with ${lines.length} answers for ${requests.length} requests:\n${stdout}\n${stderr}`));
      resolve(lines.map((l) => JSON.parse(l) as NovaProbeResult));
    });
    child.stdin.end(requests.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });
}

/**
 * A real-sshd lab of `specs` and a work directory, both removed when the test
 * ends; undefined when the lab cannot run here (skipLoudly: skipped, saying
 * so, for an ordinary user; a failure where every test must run).
 */
export async function playbookLab(t: TestContext, specs: HostSpec[], opts: { rebootSeconds: number }): Promise<{ lab: RealLab; work: string } | undefined> {
  const why = realLabUnavailable();
  if (why) {
    skipLoudly(t, why);
    return undefined;
  }
  const lab = await startRealLab(specs, opts);
  const work = mkdtempSync(join(tmpdir(), 'passthru-playbook-test-'));
  t.after(async () => {
    await lab.stop();
    rmSync(work, { recursive: true, force: true });
  });
  return { lab, work };
}

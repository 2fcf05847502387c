// The lab's tools as executables for the real-sshd lab:
//   node --import tsx src/lab/tools/cli.ts <tool> [args...]
// The host's spec comes from $PASSTHRU_LAB_SPEC (a JSON file of one HostSpec);
// files are the real ones (NodeFs, rooted at $PASSTHRU_LAB_ROOT, default /).
// A reboot request is the file /run/lab/reboot-request, which the real-lab
// runner watches. The caller is root when its uid is 0 (as after sudo).

import { readFileSync } from 'node:fs';
import type { HostSpec, LabHostControl } from '../types.ts';
import { NodeFs } from '../nodefs.ts';
import { runTool } from './index.ts';

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  if (!name) {
    process.stderr.write('usage: cli.ts <tool> [args...]\n');
    return 2;
  }
  const specFile = process.env.PASSTHRU_LAB_SPEC;
  if (!specFile) {
    process.stderr.write(`${name}: PASSTHRU_LAB_SPEC is not set (path of the host's spec JSON)\n`);
    return 1;
  }
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as HostSpec;
  const fs = new NodeFs(process.env.PASSTHRU_LAB_ROOT ?? '/');
  const host: LabHostControl = {
    spec,
    requestReboot() {
      fs.writeFile('/run/lab/reboot-request', `${new Date().toISOString()}\n`);
    },
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  if (uid === 0) env.USER = 'root';
  else if (env.USER === 'root' || env.USER === undefined) env.USER = `uid${uid}`;
  const stdin = process.stdin.isTTY ? '' : await readStdin();
  const r = await runTool(name, args, stdin, env, fs, host);
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  return r.exitCode;
}

function readStdin(): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c: string) => (data += c));
    process.stdin.on('end', () => resolve(data));
    process.stdin.on('error', () => resolve(data));
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);

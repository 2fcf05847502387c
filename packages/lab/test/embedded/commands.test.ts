// `passthru lab up` / `lab down`: a detached lab process that leaves nothing behind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { labDown, labUp } from '../../src/embedded/commands.ts';

function sink(): { out: Writable; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { out, text: () => text };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'passthru-lab-up-'));
let pid: number | undefined;

after(() => {
  if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('lab up starts a background lab, lab down stops it and nothing keeps running', async () => {
  const up = sink();
  const code = await labUp({ computes: 2, dir, out: up.out });
  assert.equal(code, 0, up.text());
  const info = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as { pid: number; hosts: Array<{ port: number }> };
  pid = info.pid;
  assert.equal(Number(readFileSync(join(dir, 'lab.pid'), 'utf8')), pid);
  assert.ok(alive(pid));
  assert.equal(info.hosts.length, 3, 'one controller and two computes');
  assert.match(up.text(), /inventory: +.*inventory\.ini/);
  assert.match(up.text(), /known_hosts: +.*known_hosts/);
  assert.ok(existsSync(join(dir, 'inventory.ini')));

  const again = sink();
  assert.equal(await labUp({ dir, out: again.out }), 1, 'a second lab in the same dir is refused');
  assert.match(again.text(), /already running/);

  const down = sink();
  assert.equal(await labDown({ dir, out: down.out }), 0);
  assert.equal(alive(pid), false, 'the lab process is gone');
  assert.equal(existsSync(join(dir, 'lab.pid')), false);
  assert.equal(existsSync(join(dir, 'lab.json')), false);

  const idle = sink();
  assert.equal(await labDown({ dir, out: idle.out }), 0);
  assert.match(idle.text(), /no lab is running/);
});

// The regeneration script (kernel arguments, vfio-pci) run by a real sh: the
// first failing command stops it and is the one named; the commands' output
// stays off stdout, which is left for what is read back after them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { regenerateFailure, regenerateScript } from '../../../src/steps/pci/regenerate.ts';

function sh(script: string): { exitCode: number; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  return { exitCode: r.status ?? 255, stdout: r.stdout, stderr: r.stderr };
}

const mask = (t: string): string => t.replaceAll('s3cret', '********');

test('every command runs: no failure, and stdout holds only what is read after them', () => {
  const commands = [['echo', 'grub.cfg written'], ['echo', 'entries updated']];
  const r = sh(`${regenerateScript(commands)}\necho read-back`);
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, 'read-back\n');
  assert.equal(r.stderr, 'grub.cfg written\nentries updated\n');
  assert.equal(regenerateFailure(commands, r, mask), undefined);
});

test('the first failing command stops the script (nothing after it runs) and is named with its status and output, masked', () => {
  const commands = [['true'], ['sh', '-c', 'echo "cannot write /boot: s3cret" >&2; exit 3'], ['touch', '/nonexistent/never-run']];
  const r = sh(`${regenerateScript(commands)}\necho read-back`);
  assert.equal(r.exitCode, 3);
  assert.doesNotMatch(r.stdout, /read-back/);
  assert.doesNotMatch(r.stderr, /never-run/);
  assert.equal(regenerateFailure(commands, r, mask), `sh -c 'echo "cannot write /boot: s3cret" >&2; exit 3' exited 3: cannot write /boot: ********`);
});

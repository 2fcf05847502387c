import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeToolResult, parseToolRequest, serverWrapperScript, ToolServer } from '../../src/real/toolserver.ts';

function run(file: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', env: { ...process.env, ...env }, cwd: '/tmp' }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('a request is complete only once its environment is terminated', () => {
  const full = Buffer.from(['tok', 'lspci', '/root', '0', '2', '-nn', '', 'PATH=/bin', 'A=b=c', ''].join('\0') + '\0');
  assert.equal(parseToolRequest(full.subarray(0, full.length - 1)), undefined);
  assert.equal(parseToolRequest(full.subarray(0, 20)), undefined);
  assert.deepEqual(parseToolRequest(full), { token: 'tok', tool: 'lspci', cwd: '/root', uid: 0, args: ['-nn', ''], env: { PATH: '/bin', A: 'b=c' } });
});

test('the response carries exit code, stderr (counted in bytes) and stdout', () => {
  assert.equal(encodeToolResult({ exitCode: 2, stderr: 'ü\n', stdout: 'out\n' }).toString('utf8'), '2 3\nü\nout\n');
});

test('the bash wrapper runs a tool through the server: args, cwd, uid, environment, streams, exit code', async (t) => {
  if (process.platform !== 'linux') {
    t.skip('needs bash with /dev/tcp');
    return;
  }
  const dir = mkdtempSync('/tmp/lab-toolserver-test-');
  const server = await ToolServer.start('127.0.60.254');
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  server.register('tok1', async (req) => ({
    stdout: `${JSON.stringify({ tool: req.tool, args: req.args, cwd: req.cwd, uid: req.uid, foo: req.env['FOO'] })}\nsecond line ü\n`,
    stderr: 'warning: one\nwarning: two\n',
    exitCode: 3,
  }));
  const wrapper = join(dir, 'lspci');
  writeFileSync(wrapper, serverWrapperScript('lspci', server, 'tok1', 'echo unreachable >&2; exit 99'));
  chmodSync(wrapper, 0o755);
  const r = await run(wrapper, ['-nn', '', 'a b'], { FOO: 'bar baz' });
  assert.equal(r.code, 3);
  assert.equal(r.stderr, 'warning: one\nwarning: two\n');
  const [json, second] = r.stdout.split('\n');
  assert.deepEqual(JSON.parse(json ?? ''), { tool: 'lspci', args: ['-nn', '', 'a b'], cwd: '/tmp', uid: process.getuid?.() ?? 0, foo: 'bar baz' });
  assert.equal(second, 'second line ü');

  const unknown = join(dir, 'dmesg');
  writeFileSync(unknown, serverWrapperScript('dmesg', server, 'not-registered', 'exit 99'));
  chmodSync(unknown, 0o755);
  const u = await run(unknown, []);
  assert.equal(u.code, 1);
  assert.match(u.stderr, /not known to the lab's tool server/);
});

test('without a server the wrapper falls back to its fallback command', async (t) => {
  const dir = mkdtempSync('/tmp/lab-toolserver-test-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const wrapper = join(dir, 'lspci');
  writeFileSync(wrapper, serverWrapperScript('lspci', { address: '127.0.60.254', port: 1 }, 'tok', 'echo "fallback $*"; exit 7'));
  chmodSync(wrapper, 0o755);
  const r = await run(wrapper, ['-nn']);
  assert.equal(r.code, 7);
  assert.equal(r.stdout, 'fallback -nn\n');
  assert.equal(r.stderr, '', 'the failed connection is not reported');
});

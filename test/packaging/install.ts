// The package as a user gets it, for the packaging test and the startup
// benchmark: `npm pack` of this checkout, and the tarball installed with
// `npm install -g --prefix <dir>` by an ordinary user. As root that user is
// `nobody` (its own HOME and npm cache in the temp dir); otherwise it is the
// user running this, with their own npm cache (a warm cache installs offline).

import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';

export interface User {
  name: string;
  uid: number;
  gid: number;
}

export interface Installed {
  user: User;
  prefix: string;
  /** <prefix>/bin/passthru */
  bin: string;
  /** the installed package's directory */
  packageDir: string;
  env: NodeJS.ProcessEnv;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** the user running this process */
export const SELF: User = { name: userInfo().username, uid: userInfo().uid, gid: userInfo().gid };

/** root: nobody; anyone else: themselves */
export function ordinaryUser(): User {
  if (process.getuid?.() !== 0) return SELF;
  const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
  return { name: 'nobody', uid, gid };
}

/** spawn() options that run a child as `user` (only root can switch; anyone else is that user already) */
export function asUser(user: User): { uid: number; gid: number } | Record<string, never> {
  return process.getuid?.() === 0 && user.uid !== SELF.uid ? { uid: user.uid, gid: user.gid } : {};
}

/** A command as `user` (spawned, never spawnSync: a lab may serve from this process). */
export function run(cmd: string, args: string[], as: { user: User; env: NodeJS.ProcessEnv }, opts: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? as.env['HOME'] ?? '/',
      env: as.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...asUser(as.user),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // a hang guard, not a speed limit
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `npm pack` of the checkout into dir: the tarball and the files in it (paths inside the package). */
export async function packRepo(repo: string, dir: string): Promise<{ tarball: string; files: string[] }> {
  // dist/ as the sources are now: bin/passthru.js rebuilds it in a clone when src/ is newer
  const current = await run(process.execPath, [join(repo, 'bin', 'passthru.js'), '--version'], { user: SELF, env: process.env }, { cwd: repo });
  if (current.code !== 0) throw new Error(`the build of this checkout fails:\n${current.stderr}`);
  // the build just checked is what npm's prepare script would make again: not twice
  const r = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { user: SELF, env: { ...process.env, npm_config_update_notifier: 'false' } }, { cwd: repo });
  if (r.code !== 0) throw new Error(`npm pack failed (exit ${r.code}):\n${r.stderr}`);
  const [info] = JSON.parse(r.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (!info) throw new Error(`npm pack said nothing:\n${r.stdout}`);
  return { tarball: join(dir, info.filename), files: info.files.map((f) => f.path).sort() };
}

/** npm's words for "the registry could not be reached" */
const OFFLINE = /\b(ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|EHOSTUNREACH|ENOTCACHED)\b/;

/**
 * The tarball installed globally under dir/prefix by `user`; or why it could
 * not be (no registry, and the dependencies not in the npm cache).
 */
export async function installAsUser(tarball: string, dir: string, user: User): Promise<Installed | { skip: string }> {
  const prefix = join(dir, 'prefix');
  mkdirSync(prefix, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', NO_COLOR: '1' };
  if (process.getuid?.() === 0 && user.uid !== 0) {
    // the other user's own HOME and npm cache, in the temp dir
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    env['HOME'] = home;
    env['npm_config_cache'] = join(home, '.npm');
    delete env['npm_config_prefix'];
    delete env['npm_config_userconfig'];
    chownTree(dir, user);
  }
  const r = await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', tarball], { user, env }, { cwd: dir });
  if (r.code !== 0) {
    const out = `${r.stdout}\n${r.stderr}`;
    const line = out.split('\n').find((l) => OFFLINE.test(l));
    if (line !== undefined) return { skip: `needs the npm registry, or the package's dependencies in ${user.name}'s npm cache (npm said: ${line.trim()})` };
    throw new Error(`npm install -g --prefix ${prefix} ${tarball} as ${user.name} failed (exit ${r.code}):\n${out}`);
  }
  const bin = join(prefix, 'bin', 'passthru');
  const pkg = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })) as { name: string };
  return { user, prefix, bin, packageDir: join(prefix, 'lib', 'node_modules', ...pkg.name.split('/')), env: { ...env, PATH: `${join(prefix, 'bin')}:${env['PATH'] ?? ''}` } };
}

/** Give dir and everything under it to user (as root; anyone else owns what they made already). */
export function chownTree(path: string, user: { uid: number; gid: number }): void {
  if (process.getuid?.() !== 0) return;
  chownSync(path, user.uid, user.gid);
  if (statSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e), user);
}

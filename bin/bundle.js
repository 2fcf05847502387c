// The CLI from a cached esbuild bundle of src/cli.ts, so that a start does not
// pay for tsx compiling ~200 modules through its loader hooks. Measured here
// (medians; `node -e 0`: 0.08 s): --version 0.34 s through tsx, 0.11 s from
// the bundle; `inventory --list` 0.65 s / 0.20 s; loading `run` 0.97 / 0.29 s.
//
// The bundle lives in node_modules/.cache/passthru/ inside this checkout:
//   manifest.json   what the current build was made from, and where it is
//   b-<id>/         one build: cli.js and its chunks (+ source maps); the
//                   superseded ones are removed after an hour without use
//   build.lock      held while one process builds (the others wait for it)
//
// Each start compares size, mtime and ctime of every file under src/, of the
// other inputs the last build read (bundled node_modules files), of the
// files that shape the build (package.json, tsconfig.json, this file,
// esbuild's version, node_modules/.package-lock.json) and of the build's own
// output files with what manifest.json recorded (~430 stat calls: ~5 ms).
// Anything different: rebuild (~0.5-1 s, once), then run the new build. A
// bundle is never used for sources other than the ones it was built from.
//
// The build is written to a fresh b-<id>/ and published by renaming a new
// manifest.json over the old one, so parallel starts never see half a build.
// When the build fails (bad source, no esbuild, read-only checkout) or a
// bundle does not load, the CLI runs from the sources through tsx, as it
// did before there was a bundle; a failed build is recorded so that the next
// starts go to tsx at once instead of failing to build again, until a source
// changes.
//
// Bundled: src/ and the packages it imports, in chunks (code splitting), so a
// command loads only what it uses: a single file would load every package at
// start (esbuild hoists imports of external packages), 0.4 s for --version.
// Bundling the packages too saves ~30-50 ms on `inventory` and ~70-90 ms on
// `run` against keeping them all external (zod and yaml are many files). Kept external: ssh2 (native crypto
// bindings loaded by relative path; bundled, it would silently fall back to
// its JavaScript crypto) and just-bash (src/lab/embedded/just-bash-hooks.ts
// patches the very chunk modules it loads from its directory).
//
// import.meta in a bundled module would describe the chunk, not the source:
// every module's import.meta.url/.filename/.dirname is replaced with its own
// file's, at build time (check.py, nova_check.py, daemon.ts, package.json and
// the playbooks are found where they are). import.meta.resolve() of a
// package name resolves the same from the cache directory (inside this
// checkout's node_modules) as from src/; any other import.meta use makes the
// build fail, i.e. the CLI runs through tsx, correctly.
//
// Environment: PASSTHRU_BUNDLE=0 runs the sources through tsx (no bundle);
// PASSTHRU_BUNDLE_TRACE=1 prints on stderr which way the CLI was loaded and
// what it cost. Stack traces of internal errors name the bundle's chunks;
// NODE_OPTIONS=--enable-source-maps maps them back to src/ (not on by
// default: it costs ~30 ms per start).

import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** bump when the manifest's shape or the build's options change in a way the file stats of this file would not show */
const FORMAT = 1;
/** packages that must stay packages (see the top of this file) */
export const EXTERNAL = ['ssh2', 'just-bash'];
/**
 * Builds the manifest no longer names are removed when no process started
 * from them for this long (a start marks its build's directory), keeping the
 * few last used: a running process may still load a chunk lazily (listr2
 * loads its renderer's modules when the live view starts).
 */
const UNUSED_BUILD_MS = 60 * 60 * 1000;
const KEEP_BUILDS = 3;
/** how long a start waits for another process's build before it runs the sources through tsx */
const WAIT_MS = 30 * 1000;
/** a lock older than this is a crashed builder's (its pid taken by another process since) */
const STALE_LOCK_MS = 20 * 1000;

const HERE = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(HERE), '..');

/**
 * main(argv) of src/cli.ts: from the bundle when it is (or can be made)
 * current, otherwise from the sources through tsx. Never throws for a
 * bundle problem.
 */
export async function loadMain(opts = {}) {
  const root = opts.root ?? ROOT;
  const env = opts.env ?? process.env;
  const trace = env['PASSTHRU_BUNDLE_TRACE'] ? (msg) => process.stderr.write(`passthru bundle: ${msg.replace(/\s*\n\s*/g, ' | ')}\n`) : () => {};
  if (env['PASSTHRU_BUNDLE'] === '0') {
    trace('PASSTHRU_BUNDLE=0: sources through tsx');
    return loadFromSources(root);
  }
  let found;
  try {
    found = await currentBundle(root, trace);
  } catch (e) {
    trace(`unexpected: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (found !== undefined) {
    const t0 = performance.now();
    const shown = relative(root, found.entry);
    try {
      const mod = await import(pathToFileURL(found.entry).href);
      if (typeof mod.main === 'function') {
        trace(`loaded ${shown} in ${ms(t0)}`);
        return mod.main;
      }
      trace(`${shown} has no main()`);
    } catch (e) {
      trace(`${shown} did not load (${e instanceof Error ? e.message : String(e)})`);
    }
    // A build that does not load: one just made is recorded as failed (these
    // sources run through tsx until they change); an older one is dropped, so
    // that the next start builds again.
    try {
      const dir = cacheDir(root);
      if (found.built) publish(dir, failedManifest(root, found.state, `${shown} did not load`));
      else rmSync(join(dir, 'manifest.json'), { force: true });
    } catch {
      // read-only: nothing to record
    }
  }
  trace('sources through tsx');
  return loadFromSources(root);
}

async function loadFromSources(root) {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import(pathToFileURL(join(root, 'src', 'cli.ts')).href);
  return main;
}

export function cacheDir(root = ROOT) {
  return join(root, 'node_modules', '.cache', 'passthru');
}

/**
 * The bundle built from the sources as they are now (building one when
 * needed): {entry, state, built}, or undefined: use the sources.
 */
export async function currentBundle(root, trace = () => {}) {
  const dir = cacheDir(root);
  const t0 = performance.now();
  const fresh = check(root, dir);
  trace(`staleness check: ${ms(t0)} (${fresh.reason})`);
  if (fresh.ok) {
    markUsed(fresh.entry);
    return { entry: fresh.entry, state: fresh.state, built: false };
  }
  if (fresh.failed) return undefined;

  // another process may be building: wait for its result instead of building the same thing again
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    trace(`no cache directory (${e instanceof Error ? e.message : String(e)})`);
    return undefined;
  }
  const lock = join(dir, 'build.lock');
  const manifestPath = join(dir, 'manifest.json');
  const published = () => {
    const st = statSync(manifestPath, { throwIfNoEntry: false });
    return st && `${st.ino} ${st.mtimeMs}`;
  };
  let seen = published();
  const waitStart = performance.now();
  for (;;) {
    const got = takeLock(lock);
    if (got === 'error') {
      trace('cannot write the cache directory');
      return undefined;
    }
    if (got === 'taken') break;
    if (performance.now() - waitStart > WAIT_MS) {
      trace('gave up waiting for another build');
      return undefined;
    }
    await sleep(30);
    // only a new manifest can end the wait (or a free lock, taken above)
    if (published() === seen) continue;
    seen = published();
    const now = check(root, dir);
    if (now.ok) {
      markUsed(now.entry);
      trace(`another process built it (waited ${ms(waitStart)})`);
      return { entry: now.entry, state: now.state, built: false };
    }
    if (now.failed) return undefined;
  }
  try {
    // it may have been built while this process waited for the lock
    const now = check(root, dir);
    if (now.ok) {
      markUsed(now.entry);
      return { entry: now.entry, state: now.state, built: false };
    }
    if (now.failed) return undefined;
    const t1 = performance.now();
    const entry = await build(root, dir, now.state, trace);
    trace(`${entry === undefined ? 'build failed' : 'built'} in ${ms(t1)}`);
    return entry === undefined ? undefined : { entry, state: now.state, built: true };
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Is the manifest's build current? {ok, entry} | {failed} (the same sources failed to build) | {state} (build from these) */
export function check(root, dir = cacheDir(root)) {
  const state = inputState(root);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  } catch {
    return { ok: false, state, reason: 'no manifest' };
  }
  if (manifest === null || typeof manifest !== 'object' || manifest.format !== FORMAT || manifest.root !== root || !Array.isArray(manifest.inputs)) {
    return { ok: false, state, reason: 'manifest of another format or checkout' };
  }
  if (manifest.state !== state) return { ok: false, state, reason: 'sources changed' };
  if (stats(root, manifest.inputs) !== manifest.inputState) return { ok: false, state, reason: 'bundled packages changed' };
  if (manifest.failed === true) return { ok: false, failed: true, state, reason: 'these sources failed to build' };
  if (typeof manifest.entry !== 'string' || !Array.isArray(manifest.outputs)) return { ok: false, state, reason: 'manifest without a build' };
  if (stats(dir, manifest.outputs) !== manifest.outputState) return { ok: false, state, reason: 'the build changed on disk' };
  return { ok: true, entry: join(dir, manifest.entry), state, reason: 'current' };
}

/** size, mtime and ctime of every file under src/ and of the files that shape the build */
export function inputState(root) {
  const files = ['package.json', 'tsconfig.json', relative(root, HERE), 'node_modules/esbuild/package.json', 'node_modules/.package-lock.json'];
  walk(root, 'src', files);
  return stats(root, files.sort());
}

function walk(root, rel, out) {
  let entries;
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch {
    out.push(rel);
    return;
  }
  for (const e of entries) {
    const p = `${rel}/${e.name}`;
    if (e.isDirectory()) walk(root, p, out);
    else out.push(p);
  }
}

/** "path size mtime ctime" lines of these files, in the order given */
function stats(base, files) {
  let s = '';
  for (const f of files) {
    const st = statSync(`${base}/${f}`, { throwIfNoEntry: false });
    s += st === undefined ? `${f} -\n` : `${f} ${st.size} ${st.mtimeMs} ${st.ctimeMs}\n`;
  }
  return s;
}

/** 'taken' | 'busy' (another process holds it) | 'error' (cannot write here) */
function takeLock(lock) {
  try {
    const fd = openSync(lock, 'wx');
    try {
      writeSync(fd, String(process.pid));
    } finally {
      closeSync(fd);
    }
    return 'taken';
  } catch (e) {
    if (e?.code !== 'EEXIST') return 'error';
  }
  // a crashed builder leaves its lock behind
  try {
    const pid = Number(readFileSync(lock, 'utf8'));
    const age = Date.now() - statSync(lock).mtimeMs;
    if (age > STALE_LOCK_MS || (pid > 0 && !alive(pid))) rmSync(lock, { force: true });
  } catch {
    // gone meanwhile, or just being written: try again later
  }
  return 'busy';
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e?.code === 'EPERM';
  }
}

/** Build into a fresh b-<id>/ and publish it; undefined when it failed (recorded in the manifest). */
async function build(root, dir, state, trace) {
  const id = `b-${Date.now().toString(36)}-${process.pid}`;
  const outdir = join(dir, id);
  let esbuild;
  try {
    esbuild = await import('esbuild');
    mkdirSync(outdir);
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: { cli: 'src/cli.ts' },
      outdir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: EXTERNAL,
      // class names stay: errors name themselves with new.target.name
      keepNames: true,
      // CommonJS packages in the bundle require() Node's modules
      banner: { js: "import { createRequire as __passthruCreateRequire } from 'node:module'; const require = __passthruCreateRequire(import.meta.url);" },
      sourcemap: 'linked',
      sourcesContent: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [ownImportMeta(root)],
    });
    // files under src/ are all checked anyway; the others (bundled packages) are checked one by one
    const inputs = Object.keys(result.metafile.inputs)
      .map((p) => relative(root, resolve(root, p)))
      .filter((p) => !p.startsWith(`src${sep}`))
      .sort();
    // the maps are not run: only the code is checked
    const outputs = readdirSync(outdir).filter((f) => !f.endsWith('.map')).map((f) => `${id}/${f}`).sort();
    const entry = `${id}/cli.js`;
    if (!outputs.includes(entry)) throw new Error(`esbuild wrote no ${entry}`);
    publish(dir, { format: FORMAT, root, state, inputs, inputState: stats(root, inputs), entry, outputs, outputState: stats(dir, outputs) });
    try {
      removeOldBuilds(dir, id);
    } catch {
      // another process is removing them too
    }
    return join(dir, entry);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    trace(`build failed: ${message.split('\n').slice(0, 6).join('\n')}`);
    rmSync(outdir, { recursive: true, force: true });
    try {
      publish(dir, failedManifest(root, state, message));
    } catch {
      // not even the manifest can be written: the next start tries again
    }
    return undefined;
  } finally {
    await esbuild?.stop?.();
  }
}

function failedManifest(root, state, error) {
  return { format: FORMAT, root, state, inputs: [], inputState: '', failed: true, error: error.slice(0, 2000) };
}

function publish(dir, manifest) {
  const tmp = join(dir, `manifest.json.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify(manifest)}\n`);
    renameSync(tmp, join(dir, 'manifest.json'));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** a start from this build: its directory's mtime says when it was last used */
function markUsed(entry) {
  const now = new Date();
  try {
    utimesSync(dirname(entry), now, now);
  } catch {
    // read-only: it is not removed by this checkout's users anyway
  }
}

function removeOldBuilds(dir, keep) {
  const old = [];
  for (const name of readdirSync(dir)) {
    if (name === keep || !(name.startsWith('b-') || name.endsWith('.tmp'))) continue;
    const st = statSync(join(dir, name), { throwIfNoEntry: false });
    if (st !== undefined) old.push({ name, used: st.mtimeMs, build: name.startsWith('b-') });
  }
  const builds = old.filter((o) => o.build).sort((a, b) => b.used - a.used);
  const spared = new Set(builds.slice(0, KEEP_BUILDS).map((o) => o.name));
  for (const o of old) {
    if (spared.has(o.name) || Date.now() - o.used < UNUSED_BUILD_MS) continue;
    rmSync(join(dir, o.name), { recursive: true, force: true });
  }
}

/**
 * esbuild plugin: in every module, import.meta.url, .filename and .dirname
 * become that module's own (string literals, replaced on the syntax tree,
 * not in strings or comments); anything else of import.meta but
 * import.meta.resolve('package') fails the build.
 */
function ownImportMeta(root) {
  let tsconfigRaw;
  return {
    name: 'passthru-own-import-meta',
    setup(b) {
      b.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta')) return undefined;
        const ext = /\.[cm]?([jt]sx?)$/.exec(args.path)?.[1] ?? 'js';
        tsconfigRaw ??= readFileSync(join(root, 'tsconfig.json'), 'utf8');
        const { transform } = await import('esbuild');
        const out = await transform(text, {
          loader: ext,
          sourcefile: args.path,
          sourcemap: 'inline',
          ...(ext.startsWith('t') ? { tsconfigRaw } : {}),
          define: {
            'import.meta.url': JSON.stringify(pathToFileURL(args.path).href),
            'import.meta.filename': JSON.stringify(args.path),
            'import.meta.dirname': JSON.stringify(dirname(args.path)),
          },
        });
        for (const m of out.code.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '').matchAll(/\bimport\.meta\b(?:\.resolve\(\s*(["'])([^"'`]*)\1\s*\))?/g)) {
          const spec = m[2];
          const bare = spec !== undefined && /^(@[^/.][^/]*\/)?[^/.:][^:]*$/.test(spec);
          if (!bare && !spec?.startsWith('node:')) {
            throw new Error(`${relative(root, args.path)}: "${m[0]}" would describe the bundle, not this file`);
          }
        }
        return { contents: out.code, loader: 'js' };
      });
    },
  };
}

function ms(t0) {
  return `${(performance.now() - t0).toFixed(1)} ms`;
}

function sleep(n) {
  return new Promise((r) => setTimeout(r, n));
}

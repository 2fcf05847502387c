// docker (and podman) for a kolla lab host's nova containers (containers.ts):
// ps, inspect (JSON, or --format with Go template fields), restart, start,
// stop, logs and exec, answering as docker 24 / podman 4 do. `restart`
// returns as soon as the container's process is started; nova refusing
// the configuration it copied shows only afterwards, in inspect (a
// container docker keeps restarting) and logs. `exec` runs the command on
// the host through the lab's shell (inv.exec: the embedded lab); the
// real-sshd lab's wrapper runs exec itself, with the container's own
// /etc/nova bind-mounted (real/container-exec.ts).

import { createHash } from 'node:crypto';
import type { HostSpec, LabFs, Tool, ToolInvocation, ToolResult } from '../types.ts';
import {
  HEALTHY_AFTER_MS,
  containerEtcNova,
  containerLog,
  copyConfig,
  findContainer,
  kollaContainers,
  readContainer,
  recordContainerStart,
  recordContainerStop,
  type ContainerState,
  type LabContainer,
} from '../containers.ts';
import { nextPid } from '../units.ts';
import { checkNova } from './novacheck-run.ts';
import { fail, isRoot, ok } from './util.ts';

type Engine = 'docker' | 'podman';

export function containerId(host: string, name: string): string {
  return createHash('sha256').update(`${host}/${name}`).digest('hex');
}

function engineOf(inv: ToolInvocation): Engine {
  return inv.argv[0] === 'podman' ? 'podman' : 'docker';
}

function noSuch(engine: Engine, name: string, verb: string): string {
  if (engine === 'podman') return verb === 'inspect' ? `Error: no such object: "${name}"\n` : `Error: no container with name or ID "${name}" found: no such container\n`;
  return verb === 'inspect' ? `Error: No such object: ${name}\n` : `Error response from daemon: No such container: ${name}\n`;
}

/** docker inspect's object (the fields passthru and an operator read). */
export function inspectObject(spec: HostSpec, c: LabContainer, s: ContainerState | undefined, engine: Engine, now = Date.now()): Record<string, unknown> {
  const st = s ?? { status: 'created', startedAt: '0001-01-01T00:00:00Z', finishedAt: '0001-01-01T00:00:00Z', exitCode: 0, restartCount: 0, pid: 0 };
  const running = st.status === 'running' || st.status === 'restarting';
  const healthy = st.status === 'running' && now - Date.parse(st.startedAt) >= HEALTHY_AFTER_MS;
  const health = { Status: st.status === 'running' ? (healthy ? 'healthy' : 'starting') : 'unhealthy', FailingStreak: st.status === 'running' ? 0 : 3, Log: [] };
  return {
    Id: containerId(spec.name, c.name),
    Created: '2024-06-03T08:14:02.417000000Z',
    Path: 'dumb-init',
    Args: ['--single-child', '--', 'kolla_start'],
    State: {
      Status: st.status,
      Running: running,
      Paused: false,
      Restarting: st.status === 'restarting',
      OOMKilled: false,
      Dead: false,
      Pid: st.pid,
      ExitCode: st.exitCode,
      Error: '',
      StartedAt: st.startedAt,
      FinishedAt: st.finishedAt,
      [engine === 'podman' ? 'Healthcheck' : 'Health']: health,
    },
    Image: `sha256:${containerId('image', c.image)}`,
    Name: engine === 'docker' ? `/${c.name}` : c.name,
    RestartCount: st.restartCount,
    HostConfig: { RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 } },
    Mounts: c.service
      ? [{ Type: 'bind', Source: `/etc/kolla/${c.name.replace(/_/g, '-')}/`, Destination: '/var/lib/kolla/config_files/', Mode: 'ro', RW: false }]
      : [],
    Config: { Hostname: spec.name, Image: c.image, Labels: { 'kolla_version': '18.1.0' }, Env: ['KOLLA_CONFIG_STRATEGY=COPY_ALWAYS', `KOLLA_SERVICE_NAME=${c.name.replace(/_/g, '-')}`] },
  };
}

function lookup(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** The Go template subset used with --format: {{.A.B}}, {{json .A}}, {{json .}}, \t and \n. */
export function renderFormat(format: string, obj: unknown): string | { error: string } {
  let bad: string | undefined;
  const out = format.replace(/\{\{\s*(json\s+)?\.([A-Za-z0-9_.]*)\s*\}\}/g, (_m, json: string | undefined, path: string) => {
    const v = path === '' ? obj : lookup(obj, path.split('.'));
    if (v === undefined) {
      bad ??= path;
      return '';
    }
    if (json) return JSON.stringify(v);
    if (typeof v === 'object' && v !== null) return Array.isArray(v) ? `[${v.join(' ')}]` : `map[${Object.entries(v).map(([k, x]) => `${k}:${typeof x === 'object' ? '...' : String(x)}`).join(' ')}]`;
    return String(v);
  });
  if (bad !== undefined) return { error: `template: :1: executing "" at <.${bad}>: map has no entry for key "${bad.split('.').pop()}"` };
  if (/\{\{/.test(out)) return { error: `template: :1: function "${/\{\{\s*(\w+)/.exec(out)?.[1] ?? '?'}" not defined` };
  return out.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

function psStatus(s: ContainerState | undefined, now = Date.now()): string {
  if (!s) return 'Created';
  const ago = (iso: string): string => {
    const sec = Math.max(1, Math.floor((now - Date.parse(iso)) / 1000));
    return sec < 60 ? `${sec} seconds` : sec < 3600 ? `${Math.floor(sec / 60)} minutes` : `${Math.floor(sec / 3600)} hours`;
  };
  if (s.status === 'running') return `Up ${ago(s.startedAt)} (${now - Date.parse(s.startedAt) >= HEALTHY_AFTER_MS ? 'healthy' : 'health: starting'})`;
  if (s.status === 'restarting') return `Restarting (${s.exitCode}) ${ago(s.finishedAt)} ago`;
  return `Exited (${s.exitCode}) ${ago(s.finishedAt)} ago`;
}

async function start(inv: ToolInvocation, c: LabContainer): Promise<void> {
  copyConfig(inv.fs, c);
  const failure = c.service ? await checkNova(inv.fs, inv.host.spec, c.service) : undefined;
  recordContainerStart(inv.fs, inv.host.spec, c, nextPid(inv.fs), failure, new Date());
}

function flagValue(args: string[], names: string[]): { value?: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = names.find((n) => a === n || a.startsWith(`${n}=`));
    if (name === undefined) {
      rest.push(a);
      continue;
    }
    value = a === name ? args[++i] : a.slice(name.length + 1);
  }
  return { value, rest };
}

/** `exec` options that take a value (docker 24 / podman 4) */
const EXEC_VALUE_OPTS = new Set(['-u', '--user', '-e', '--env', '-w', '--workdir', '--env-file', '--detach-keys']);

/** Split `exec [OPTIONS] CONTAINER COMMAND [ARG...]`. */
export function parseExec(args: string[]): { container?: string | undefined; command: string[] } {
  let i = 0;
  while (i < args.length) {
    const a = args[i]!;
    if (!a.startsWith('-') || a === '-') break;
    if (a === '--') {
      i++;
      break;
    }
    i += EXEC_VALUE_OPTS.has(a) ? 2 : 1;
  }
  return { container: args[i], command: args.slice(i + 1) };
}

function shQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export const docker: Tool = async (inv): Promise<ToolResult> => {
  const engine = engineOf(inv);
  const spec = inv.host.spec;
  const [verb = '', ...args] = inv.argv.slice(1);
  if (engine === 'docker' && !isRoot(inv)) {
    return fail(1, 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.43/containers/json": dial unix /var/run/docker.sock: connect: permission denied\n');
  }
  const fs: LabFs = inv.fs;
  const all = kollaContainers(spec);
  switch (verb) {
    case 'ps': {
      const { value: format, rest } = flagValue(args, ['--format']);
      const showAll = rest.includes('-a') || rest.includes('--all');
      const rows = all.map((c) => ({ c, s: readContainer(fs, c.name) })).filter(({ s }) => showAll || s?.status === 'running' || s?.status === 'restarting');
      if (format !== undefined) {
        let out = '';
        for (const { c, s } of rows) {
          const obj = { Names: c.name, Image: c.image, ID: containerId(spec.name, c.name).slice(0, 12), State: s?.status ?? 'created', Status: psStatus(s), Command: '"dumb-init --single-…"' };
          const r = renderFormat(format, obj);
          if (typeof r !== 'string') return fail(1, `${r.error}\n`);
          out += `${r}\n`;
        }
        return ok(out);
      }
      let out = 'CONTAINER ID   IMAGE' + ' '.repeat(60) + 'COMMAND                  CREATED        STATUS                    PORTS     NAMES\n';
      for (const { c, s } of rows) out += `${containerId(spec.name, c.name).slice(0, 12)}   ${c.image.padEnd(64)} "dumb-init --single-…"   6 months ago   ${psStatus(s).padEnd(25)}           ${c.name}\n`;
      return ok(out);
    }
    case 'inspect': {
      const { value: format, rest } = flagValue(args, ['--format', '-f']);
      const names = rest.filter((a) => !a.startsWith('-'));
      if (names.length === 0) return fail(engine === 'docker' ? 1 : 125, `"${engine} inspect" requires at least 1 argument.\n`);
      const objs: unknown[] = [];
      let err = '';
      let out = '';
      for (const n of names) {
        const c = findContainer(spec, n.replace(/^\//, ''));
        if (!c) {
          err += noSuch(engine, n, 'inspect');
          continue;
        }
        const obj = inspectObject(spec, c, readContainer(fs, c.name), engine);
        if (format !== undefined) {
          const r = renderFormat(format, obj);
          if (typeof r !== 'string') return fail(1, `${r.error}\n`);
          out += `${r}\n`;
        } else objs.push(obj);
      }
      if (format === undefined) out = `${JSON.stringify(objs, null, 4)}\n`;
      return { stdout: out, stderr: err, exitCode: err ? (engine === 'docker' ? 1 : 125) : 0 };
    }
    case 'restart':
    case 'start':
    case 'stop': {
      const names = args.filter((a) => !a.startsWith('-'));
      if (names.length === 0) return fail(1, `"${engine} ${verb}" requires at least 1 argument.\n`);
      let out = '';
      let err = '';
      for (const n of names) {
        const c = findContainer(spec, n);
        if (!c) {
          err += noSuch(engine, n, verb);
          continue;
        }
        const s = readContainer(fs, c.name);
        if (verb !== 'start' && s && s.status !== 'exited') recordContainerStop(fs, c, new Date());
        if (verb !== 'stop' && !(verb === 'start' && s?.status === 'running')) await start(inv, c);
        out += `${n}\n`;
      }
      return { stdout: out, stderr: err, exitCode: err ? 1 : 0 };
    }
    case 'logs': {
      const { value: tail, rest } = flagValue(args, ['--tail', '-n']);
      const name = rest.find((a) => !a.startsWith('-'));
      const c = name === undefined ? undefined : findContainer(spec, name);
      if (!c) return fail(1, name === undefined ? `"${engine} logs" requires exactly 1 argument.\n` : noSuch(engine, name, 'logs'));
      let lines = containerLog(fs, c.name).split('\n').filter((l, i, a) => l !== '' || i < a.length - 1);
      if (tail !== undefined && tail !== 'all') lines = lines.slice(-Number(tail));
      // kolla_start and nova write to stderr
      return { stdout: '', stderr: lines.map((l) => `${l}\n`).join(''), exitCode: 0 };
    }
    case 'exec': {
      const { container, command } = parseExec(args);
      if (container === undefined || command.length === 0) return fail(1, `"${engine} exec" requires at least 2 arguments.\n`);
      const c = findContainer(spec, container);
      if (!c) return fail(1, noSuch(engine, container, 'exec'));
      const s = readContainer(fs, c.name);
      if (s?.status === 'restarting') return fail(1, `Error response from daemon: Container ${containerId(spec.name, c.name)} is restarting, wait until the container is running\n`);
      if (s?.status !== 'running') return fail(1, `Error response from daemon: container ${containerId(spec.name, c.name)} is not running\n`);
      if (!inv.exec) return fail(126, `OCI runtime exec failed: exec failed: unable to start container process: lab: exec is not modelled here (its /etc/nova: ${containerEtcNova(c.name)})\n`);
      return inv.exec(command.map(shQuote).join(' '), inv.stdin);
    }
    case 'version':
    case '--version':
      return ok(engine === 'docker' ? 'Docker version 24.0.7, build afdd53b\n' : 'podman version 4.9.3\n');
    default:
      return fail(1, `${engine}: '${verb}' is not a ${engine} command.\nSee '${engine} --help'\n`);
  }
};

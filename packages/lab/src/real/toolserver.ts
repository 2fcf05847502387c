// The machine tools served by the lab process itself. A tool started on a
// host is a small bash wrapper that connects (bash's own /dev/tcp, no extra
// process) to this server, sends its host token, name, arguments, cwd, uid
// and environment, and prints what comes back. The tool then runs in-process
// over the host's files (NodeFs rooted at the host's root) — the same code as
// `node tools.mjs NAME`, without starting node (~60 ms of CPU) per call.
//
// Request (NUL-separated fields): token, tool, cwd, uid, argc, argv..., then
// NAME=VALUE environment entries, then an empty field.
// Response: "<exit code> <stderr bytes>\n", stderr, stdout until EOF.
import { createServer, type Server, type Socket } from 'node:net';
import type { ToolResult } from '../types.ts';

export interface ToolRequest {
  tool: string;
  args: string[];
  cwd: string;
  uid: number;
  env: Record<string, string>;
}

export type ToolHandler = (req: ToolRequest) => Promise<ToolResult>;

/** Parse a complete request; undefined while more bytes are needed. */
export function parseToolRequest(buf: Buffer): (ToolRequest & { token: string }) | undefined {
  const fields: string[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0) continue;
    fields.push(buf.subarray(start, i).toString('utf8'));
    start = i + 1;
    if (fields.length >= 5) {
      const argc = Number(fields[4]);
      if (fields.length > 5 + argc && fields[fields.length - 1] === '') {
        const [token = '', tool = '', cwd = '/', uid = '0'] = fields;
        const env: Record<string, string> = {};
        for (const entry of fields.slice(5 + argc, -1)) {
          const eq = entry.indexOf('=');
          if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
        }
        return { token, tool, cwd, uid: Number(uid), args: fields.slice(5, 5 + argc), env };
      }
    }
  }
  return undefined;
}

export function encodeToolResult(r: ToolResult): Buffer {
  const err = Buffer.from(r.stderr, 'utf8');
  return Buffer.concat([Buffer.from(`${r.exitCode} ${err.length}\n`), err, Buffer.from(r.stdout, 'utf8')]);
}

export class ToolServer {
  private readonly handlers = new Map<string, ToolHandler>();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly address: string,
    readonly port: number,
  ) {}

  static async start(address: string): Promise<ToolServer> {
    let self: ToolServer | undefined;
    const server = createServer((sock) => self?.accept(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, address, () => resolve());
    });
    const addr = server.address();
    if (!addr || typeof addr === 'string') throw new Error('lab: tool server has no port');
    server.unref();
    self = new ToolServer(server, address, addr.port);
    return self;
  }

  register(token: string, handler: ToolHandler): void {
    this.handlers.set(token, handler);
  }

  private accept(sock: Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.setTimeout(30_000, () => sock.destroy());
    let buf = Buffer.alloc(0);
    let started = false;
    sock.on('data', (d: Buffer) => {
      if (started) return;
      buf = Buffer.concat([buf, d]);
      const req = parseToolRequest(buf);
      if (!req) return;
      started = true;
      const handler = this.handlers.get(req.token);
      const done = (r: ToolResult): void => {
        sock.end(encodeToolResult(r));
      };
      if (!handler) {
        done({ stdout: '', stderr: `${req.tool}: this lab host is not known to the lab's tool server\n`, exitCode: 1 });
        return;
      }
      handler(req).then(done, (e: unknown) =>
        done({ stdout: '', stderr: `${req.tool}: ${e instanceof Error ? e.message : String(e)}\n`, exitCode: 1 }),
      );
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The wrapper installed as /usr/local/sbin/NAME etc. on a host: asks the tool
 * server; if it cannot be reached, runs the bundled CLI with node instead.
 */
export function serverWrapperScript(tool: string, server: { address: string; port: number }, token: string, fallback: string): string {
  return `#!/bin/bash
# passthru lab tool: ${tool} (answered by the lab's tool server)
if ! { exec 3<>/dev/tcp/${server.address}/${server.port}; } 2>/dev/null; then
  ${fallback}
fi
{
  printf '%s\\0' ${token} ${tool} "$PWD" "$EUID" "$#" "$@"
  for __n in $(compgen -e); do printf '%s=%s\\0' "$__n" "\${!__n}"; done
  printf '\\0'
} >&3
export LC_ALL=C
IFS=' ' read -r __code __elen <&3 || { echo "${tool}: the lab's tool server did not answer" >&2; exit 1; }
if [ "$__elen" -gt 0 ]; then IFS= read -r -d '' -N "$__elen" __err <&3; printf '%s' "$__err" >&2; fi
cat <&3
exit "$__code"
`;
}

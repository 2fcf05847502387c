// Test helpers: a booted in-memory lab host and a way to run its tools.
import type { HostSpec, ToolResult } from '../../src/types.ts';
import { MemFs } from '../../src/memfs.ts';
import { installHost } from '../../src/rootfs.ts';
import { bootHost, type BootState } from '../../src/boot.ts';
import { mixedCluster } from '../../src/specs.ts';
import { runTool } from '../../src/tools/index.ts';

export interface TestHost {
  spec: HostSpec;
  fs: MemFs;
  boots: number;
  rebootRequested: boolean;
  run(cmd: string, args?: string[], env?: Record<string, string>): Promise<ToolResult>;
  reboot(): BootState;
  boot: BootState;
}

export function hostByName(name: string): HostSpec {
  const spec = mixedCluster().find((h) => h.name === name);
  if (!spec) throw new Error(`no host ${name}`);
  return spec;
}

export function makeHost(specOrName: HostSpec | string): TestHost {
  const spec = typeof specOrName === 'string' ? hostByName(specOrName) : specOrName;
  const fs = new MemFs();
  installHost(fs, spec, mixedCluster());
  const h: TestHost = {
    spec,
    fs,
    boots: 1,
    rebootRequested: false,
    boot: bootHost(fs, spec, 'boot-1'),
    run(cmd, args = [], env = { USER: 'root' }) {
      return runTool(cmd, args, '', env, fs, {
        spec,
        requestReboot() {
          h.rebootRequested = true;
        },
      });
    },
    reboot() {
      h.boots++;
      h.boot = bootHost(fs, spec, `boot-${h.boots}`);
      return h.boot;
    },
  };
  return h;
}

export const USER_OPS = { USER: 'ops' };

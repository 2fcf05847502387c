// zod checks on what the readers built: the shape of the Inventory, and the
// type of every connection variable passthru acts on, wherever it is set
// (ansible_port: abc is refused at load time with file:line, not when a
// connection fails). Variables passthru does not use are not checked.

import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { varWhere } from './meta.ts';
import { plainData, Unsafe } from '../yaml/py-values.ts';
import { parseSshArgs, SshArgsError } from './ssh-args.ts';
import type { Inventory } from './types.ts';

// Ansible's boolean(): these strings (any case) and 1/0
const TRUE = new Set(['y', 'yes', 'on', '1', 'true', 't']);
const FALSE = new Set(['n', 'no', 'off', '0', 'false', 'f']);

const boolish = z.union([
  z.boolean(),
  z.literal(1).transform(() => true),
  z.literal(0).transform(() => false),
  z.string().refine((s) => TRUE.has(s.trim().toLowerCase()) || FALSE.has(s.trim().toLowerCase())).transform((s) => TRUE.has(s.trim().toLowerCase())),
]);

const port = z.union([
  z.number().int().min(1).max(65535),
  z.string().regex(/^\s*[0-9]+\s*$/).transform(Number).pipe(z.number().int().min(1).max(65535)),
]);

const seconds = z.union([
  z.number().min(0).finite(),
  z.string().regex(/^\s*[0-9]+\s*$/).transform(Number),
]);

const address = z.string().regex(/^\S+$/);
const name = z.union([z.string().regex(/^\S+$/), z.number().transform(String)]);
const path = z.string().min(1);
const secret = z.union([z.string(), z.number().transform(String)]);

const sshArgs = z.string();

interface VarRule {
  schema: z.ZodType;
  expect: string;
  example: string;
}

const rule = (schema: z.ZodType, expect: string, example: string): VarRule => ({ schema, expect, example });

/** Every variable passthru reads, with what it must hold. `null` always means "not set". */
export const CONNECTION_VARS: Record<string, VarRule> = {
  ansible_host: rule(address, 'a host name or address (no spaces)', '10.0.0.11'),
  ansible_ssh_host: rule(address, 'a host name or address (no spaces)', '10.0.0.11'),
  ansible_port: rule(port, 'a port number (1-65535)', '22'),
  ansible_ssh_port: rule(port, 'a port number (1-65535)', '22'),
  ansible_user: rule(name, 'a user name', 'stack'),
  ansible_ssh_user: rule(name, 'a user name', 'stack'),
  ansible_ssh_private_key_file: rule(path, 'a key file path', '~/.ssh/id_ed25519'),
  ansible_private_key_file: rule(path, 'a key file path', '~/.ssh/id_ed25519'),
  ansible_become: rule(boolish, 'true or false', 'true'),
  ansible_become_user: rule(name, 'a user name', 'root'),
  ansible_sudo_user: rule(name, 'a user name', 'root'),
  ansible_become_password: rule(secret, 'a password (text)', "'…'"),
  ansible_become_pass: rule(secret, 'a password (text)', "'…'"),
  ansible_sudo_pass: rule(secret, 'a password (text)', "'…'"),
  ansible_ssh_timeout: rule(seconds, 'a number of seconds', '10'),
  ansible_timeout: rule(seconds, 'a number of seconds', '10'),
  ansible_host_key_checking: rule(boolish, 'true or false', 'false'),
  ansible_ssh_host_key_checking: rule(boolish, 'true or false', 'false'),
  ansible_ssh_common_args: rule(sshArgs, 'ssh arguments', "'-o ProxyJump=stack@bastion'"),
  ansible_ssh_extra_args: rule(sshArgs, 'ssh arguments', "'-o StrictHostKeyChecking=accept-new'"),
  ansible_ssh_args: rule(sshArgs, 'ssh arguments', "'-o ControlMaster=auto'"),
};

const TEMPLATE = /\{\{|\{%/;

function show(value: unknown): string {
  const s = typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value);
  return s.length > 60 ? s.slice(0, 57) + '…' : s;
}

/** The value of a connection variable, coerced (e.g. "22" -> 22, "yes" -> true); ConfigError when wrong. */
export function checkConnectionVar(
  inv: Inventory,
  where: { kind: 'group' | 'host'; name: string; file?: string | undefined; line?: number | undefined },
  key: string,
  value: unknown,
): unknown {
  const r = Object.hasOwn(CONNECTION_VARS, key) ? CONNECTION_VARS[key] : undefined;
  if (!r || value === null || value === undefined) return value;
  const unsafe = value instanceof Unsafe;
  value = plainData(value);
  const loc = where.file !== undefined ? { file: where.file, line: where.line } : varWhere(inv, where.kind, where.name, key);
  const on = `${where.kind} '${where.name}'`;
  if (typeof value === 'string' && !unsafe && TEMPLATE.test(value)) {
    throw new ConfigError(
      loc,
      `${key} on ${on} is a Jinja template${key.includes('pass') ? '' : ` (${show(value)})`}`,
      `passthru does not evaluate templates in connection variables: write the value itself, e.g. ${key}=${r.example}`,
    );
  }
  if (typeof value === 'object' && value !== null && '__ansible_vault' in value) {
    throw new ConfigError(loc, `${key} on ${on} is encrypted with Ansible Vault`, `passthru cannot decrypt vault values: remove ${key} from the inventory or write it in clear in a file only you can read`);
  }
  const res = r.schema.safeParse(value);
  if (!res.success) {
    const shown = key.includes('pass') ? 'a value of the wrong type' : show(value);
    throw new ConfigError(loc, `${key} on ${on} must be ${r.expect}, got ${shown}`, `set ${key} to ${r.expect}, e.g. ${key}=${r.example}`);
  }
  if (r.schema === sshArgs) {
    try {
      parseSshArgs(res.data as string);
    } catch (e) {
      if (e instanceof SshArgsError) throw new ConfigError(loc, `${key} on ${on}: ${e.message}`, e.hint);
      throw e;
    }
  }
  return res.data;
}

const varsSchema = z.record(z.string(), z.unknown());

const inventorySchema = z
  .object({
    source: z.string().min(1),
    hosts: z.map(z.string().min(1), z.object({ name: z.string().min(1), vars: varsSchema })),
    groups: z.map(
      z.string().min(1),
      z.object({ name: z.string().min(1), hosts: z.array(z.string()), children: z.array(z.string()), vars: varsSchema }),
    ),
  })
  .superRefine((inv, ctx) => {
    for (const g of ['all', 'ungrouped']) if (!inv.groups.has(g)) ctx.addIssue({ code: 'custom', message: `group '${g}' is missing` });
    for (const [key, g] of inv.groups) {
      if (key !== g.name) ctx.addIssue({ code: 'custom', message: `group '${key}' is stored under another name '${g.name}'` });
      for (const h of g.hosts) if (!inv.hosts.has(h)) ctx.addIssue({ code: 'custom', message: `group '${g.name}' lists unknown host '${h}'` });
      for (const c of g.children) if (!inv.groups.has(c)) ctx.addIssue({ code: 'custom', message: `group '${g.name}' lists unknown child group '${c}'` });
    }
    for (const [key, h] of inv.hosts) if (key !== h.name) ctx.addIssue({ code: 'custom', message: `host '${key}' is stored under another name '${h.name}'` });
  });

/** Check an Inventory (read from a file or built by hand): its shape, and every connection variable. */
export function validateInventory(inv: Inventory): Inventory {
  const res = inventorySchema.safeParse(inv);
  if (!res.success) {
    throw new ConfigError(
      { file: inv.source || '<inventory>' },
      `the inventory is inconsistent: ${res.error.issues.map((i) => i.message).join('; ')}`,
      'every host a group lists and every child group must be defined in the inventory',
    );
  }
  for (const g of inv.groups.values()) {
    for (const [k, v] of Object.entries(g.vars)) checkConnectionVar(inv, { kind: 'group', name: g.name }, k, v);
  }
  for (const h of inv.hosts.values()) {
    for (const [k, v] of Object.entries(h.vars)) checkConnectionVar(inv, { kind: 'host', name: h.name }, k, v);
  }
  for (const layer of inv.adjacent ?? []) {
    for (const [kind, files] of [['group', layer.groups], ['host', layer.hosts]] as const) {
      for (const [name, list] of files) {
        for (const f of list) {
          for (const [k, v] of Object.entries(f.vars)) checkConnectionVar(inv, { kind, name, file: f.file, line: f.lines.get(k) }, k, v);
        }
      }
    }
  }
  return inv;
}

// Public key authentication in OpenSSH's order: the agent's keys first (in
// the agent's order), then the identity files whose key the agent does not
// hold, in configuration order. Every credential offered or skipped is
// recorded, so that a refusal says exactly what was tried.

import type { AuthHandlerMiddleware, ParsedKey } from 'ssh2';
import { AuthError } from '../errors.ts';
import { listAgentKeys, loadIdentity, unlockIdentity } from './keys.ts';
import type { AskSecret, Identity } from './keys.ts';

export interface AuthInput {
  host: string;
  port: number;
  user: string;
  identityFiles: readonly string[];
  agent?: string | undefined;
}

export interface AuthContext {
  /** the host named in errors (inventory name) */
  errorHost: string;
  askSecret?: AskSecret | undefined;
  /** wraps a wait for the user (passphrase prompt) so the attempt timer does not run meanwhile */
  paused?: (<T>(p: Promise<T>) => Promise<T>) | undefined;
}

export interface AuthPlan {
  handler: AuthHandlerMiddleware;
  /** the AuthError for "every credential refused" */
  refused(serverMessage?: string): AuthError;
}

type Step = { kind: 'agent'; socket: string; count: number } | { kind: 'file'; identity: Identity };

/** Load keys and ask the agent for its list; throws AuthError for a missing/unusable key file. */
export async function prepareAuth(input: AuthInput, ctx: AuthContext): Promise<AuthPlan> {
  const identities = input.identityFiles.map((f) => loadIdentity(f, ctx.errorHost));
  const problems: string[] = [];
  const tried: string[] = [];
  const steps: Step[] = [];
  let agentBlobs: Buffer[] = [];
  if (input.agent) {
    const a = await listAgentKeys(input.agent);
    if ('problem' in a) problems.push(a.problem);
    else if (a.keys.length === 0) problems.push(`ssh-agent at ${input.agent} holds no keys`);
    else {
      agentBlobs = a.keys.map((k: ParsedKey) => k.getPublicSSH());
      steps.push({ kind: 'agent', socket: input.agent, count: a.keys.length });
    }
  }
  for (const id of identities) {
    if (id.publicBlob && agentBlobs.some((b) => b.equals(id.publicBlob as Buffer))) continue; // offered through the agent
    steps.push({ kind: 'file', identity: id });
  }

  let next = 0;
  let serverMethods: string[] | undefined;
  const handler: AuthHandlerMiddleware = (methodsLeft, _partial, done) => {
    if (methodsLeft) serverMethods = methodsLeft;
    if (methodsLeft && !methodsLeft.includes('publickey')) {
      (done as (next: unknown) => void)(false);
      return;
    }
    const advance = (): void => {
      const step = steps[next++];
      if (!step) {
        (done as (next: unknown) => void)(false);
        return;
      }
      if (step.kind === 'agent') {
        tried.push(`ssh-agent ${step.socket} (${step.count} key${step.count === 1 ? '' : 's'})`);
        done({ type: 'agent', username: input.user, agent: step.socket });
        return;
      }
      const id = step.identity;
      const unlocking = unlockIdentity(id, ctx.askSecret);
      void (ctx.paused ? ctx.paused(unlocking) : unlocking).then((u) => {
        if ('problem' in u) {
          problems.push(u.problem);
          advance();
        } else {
          tried.push(`key ${id.path}`);
          done({ type: 'publickey', username: input.user, key: u.key });
        }
      });
    };
    advance();
  };

  const refused = (serverMessage?: string): AuthError => {
    const who = `${input.user}@${input.host}:${input.port}`;
    if (tried.length === 0) {
      if (problems.length > 0) {
        return new AuthError(ctx.errorHost, `cannot log in as ${who}: ${problems.join('; ')}`, hintFor(input));
      }
      return new AuthError(
        ctx.errorHost,
        `cannot log in as ${who}: no credentials to offer (no private key file found${input.agent ? '' : ', SSH_AUTH_SOCK not set'})`,
        'Create a key (ssh-keygen -t ed25519), install it on the host (ssh-copy-id), or set ansible_ssh_private_key_file / start ssh-agent.',
      );
    }
    let msg = `server refused authentication as user "${input.user}" (${who}); tried: ${tried.join(', ')}`;
    if (problems.length) msg += `; not usable: ${problems.join('; ')}`;
    if (serverMethods && !serverMethods.includes('publickey')) msg += `; the server accepts only: ${serverMethods.join(', ')}`;
    if (serverMessage) msg += ` (server said: ${serverMessage})`;
    return new AuthError(ctx.errorHost, msg, hintFor(input));
  };

  return { handler, refused };
}

function hintFor(input: AuthInput): string {
  return (
    `Put one of these public keys into ~${input.user}/.ssh/authorized_keys on ${input.host} ` +
    `(ssh-copy-id -i KEY.pub -p ${input.port} ${input.user}@${input.host}), or set ansible_user / ansible_ssh_private_key_file ` +
    `(or User / IdentityFile in ~/.ssh/config) to a user and key that work.`
  );
}

// `docker exec` / `podman exec` on a real-lab kolla host: run by the tool's
// wrapper itself (a real process, with the caller's stdin: passthru's nova
// check reads its script from it), in a mount namespace of its own where
// /etc/nova is the container's own copy of its configuration
// (containers.ts: what kolla_start copied at the container's last start),
// not the host's /etc/kolla/<service>/nova.conf. Every other subcommand
// goes to the lab's tool (tools/docker.ts).

import { CONTAINER_STATE_DIR } from '../containers.ts';

const ENGINES = new Set(['docker', 'podman']);

/** The shell lines that handle `exec` before the wrapper asks the tool server (POSIX sh and bash). */
export function containerExecPrelude(tool: string): string {
  return `# passthru lab: ${tool} exec runs here, with the container's own /etc/nova
if [ "$1" = exec ]; then
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      -u|--user|-e|--env|-w|--workdir|--env-file|--detach-keys) shift 2 ;;
      --) shift; break ;;
      -?*) shift ;;
      *) break ;;
    esac
  done
  if [ $# -lt 2 ]; then echo '"${tool} exec" requires at least 2 arguments.' >&2; exit 1; fi
  __c=$1; shift
  __s=${CONTAINER_STATE_DIR}/$__c/state.json
  if [ "$(id -u)" -ne 0 ]; then echo 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock' >&2; exit 1; fi
  if [ ! -f "$__s" ]; then echo "Error response from daemon: No such container: $__c" >&2; exit 1; fi
  if grep -q '"status":"restarting"' "$__s"; then echo "Error response from daemon: Container $__c is restarting, wait until the container is running" >&2; exit 1; fi
  if ! grep -q '"status":"running"' "$__s"; then echo "Error response from daemon: container $__c is not running" >&2; exit 1; fi
  exec unshare -m sh -c 'mount --bind "$0" /etc/nova && exec "$@"' ${CONTAINER_STATE_DIR}/$__c/etc-nova "$@"
fi
`;
}

/** A tool wrapper script, with the exec prelude for the container engines. */
export function withContainerExec(tool: string, script: string): string {
  if (!ENGINES.has(tool)) return script;
  const nl = script.indexOf('\n');
  return script.startsWith('#!') ? `${script.slice(0, nl + 1)}${containerExecPrelude(tool)}${script.slice(nl + 1)}` : `${containerExecPrelude(tool)}${script}`;
}

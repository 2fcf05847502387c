import { kollaCluster } from '@passthru/lab/specs.ts';
import { ssh } from '@passthru/lab/real/client.ts';
import { startRealLab } from '@passthru/lab/real/lab.ts';
import { NOVA_PYTHON_PROBE } from '../src/nova/check.ts';
const lab = await startRealLab(kollaCluster().slice(0, 2), { base: '127.0.49', rebootSeconds: 1 });
try {
  for (const cmd of ['docker ps -a', 'docker inspect --format "{{.Name}} {{.Config.Image}} {{.State.Status}} {{.State.StartedAt}}" nova_api', 'docker exec nova_api cat /etc/nova/nova.conf | head -3', `docker exec -i nova_api sh -c ${JSON.stringify(NOVA_PYTHON_PROBE.script).replace(/\$/g, '\\$')}`, 'head -30 /usr/local/bin/docker', 'ls /usr/lib/python3/dist-packages | grep -i nova']) {
    const r = await ssh(lab, 'kctl', cmd, { timeoutMs: 60000 });
    console.log('$', cmd.slice(0, 80), '\n', r.code, r.stdout.slice(0, 1500), r.stderr.slice(0, 1500));
  }
} finally { await lab.stop(); }

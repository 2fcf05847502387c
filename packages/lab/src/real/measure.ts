// Startup cost of the real lab: `node --import tsx test/lab/real/measure.ts 12 100`
// starts benchCluster(N) (N computes + 1 controller), runs one ssh command on
// every host in parallel, stops. PASSTHRU_LAB_DEBUG=1 prints the phases.
import { benchCluster } from '../specs.ts';
import { ssh } from './client.ts';
import { realLabUnavailable, startRealLab } from './lab.ts';

const why = realLabUnavailable();
if (why) {
  process.stderr.write(`real lab unavailable: ${why}\n`);
  process.exit(2);
}

const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const computes of counts.length > 0 ? counts : [12, 100]) {
  const specs = benchCluster(computes);
  const t0 = performance.now();
  const lab = await startRealLab(specs);
  const t1 = performance.now();
  try {
    const results = await Promise.all(lab.hosts.map((h) => ssh(lab, h.name, 'cat /proc/sys/kernel/random/boot_id')));
    const failed = results.filter((r) => r.code !== 0);
    const t2 = performance.now();
    await lab.stop();
    const t3 = performance.now();
    console.log(
      `${specs.length} hosts: start ${Math.round(t1 - t0)} ms; one ssh command on every host in parallel ${Math.round(t2 - t1)} ms` +
        ` (${failed.length} failed); stop ${Math.round(t3 - t2)} ms`,
    );
  } finally {
    await lab.stop();
  }
}

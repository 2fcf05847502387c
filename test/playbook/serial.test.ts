import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { batchSize, batches, maxFailExceeded } from '../../src/playbook/serial.ts';
import type { SerialSpec } from '../../src/playbook/types.ts';

const hosts = (n: number): string[] => Array.from({ length: n }, (_, i) => `h${String(i + 1).padStart(2, '0')}`);

// Batch sizes computed by ansible-core's own _get_serialized_batches (gen-ansible-serial.py).
const ansible = JSON.parse(readFileSync(new URL('../fixtures/playbook/ansible-serial-batches.json', import.meta.url), 'utf8')) as {
  ansible_core: string;
  cases: Array<{ hosts: number; serial: SerialSpec; batches: number[] }>;
};

describe('batches: the same batches as Ansible', () => {
  for (const c of ansible.cases) {
    it(`${c.hosts} hosts, serial ${JSON.stringify(c.serial)} -> ${JSON.stringify(c.batches)} (ansible-core ${ansible.ansible_core})`, () => {
      const got = batches(hosts(c.hosts), c.serial);
      assert.deepEqual(got.map((b) => b.length), c.batches);
      assert.deepEqual(got.flat(), hosts(c.hosts), 'every host once, in order');
    });
  }

  it("the documented examples (Ansible's 'Controlling playbook execution' guide)", () => {
    // serial: 3 with 6 hosts: the play runs on 3 hosts, then on the next 3
    assert.deepEqual(batches(hosts(6), 3), [hosts(6).slice(0, 3), hosts(6).slice(3)]);
    // serial: "30%" of 10 hosts: 3 at a time, the remainder last
    assert.deepEqual(batches(hosts(10), '30%').map((b) => b.length), [3, 3, 3, 1]);
    // serial: [1, 5, 10]: one host, then 5, then 10 at a time (or all the remaining)
    assert.deepEqual(batches(hosts(20), [1, 5, 10]).map((b) => b.length), [1, 5, 10, 4]);
    // serial: ["10%", "20%", "100%"]
    assert.deepEqual(batches(hosts(20), ['10%', '20%', '100%']).map((b) => b.length), [2, 4, 14]);
  });

  it('no serial, 0 or [] = all hosts at once; no hosts = no batches', () => {
    assert.deepEqual(batches(hosts(4), undefined), [hosts(4)]);
    assert.deepEqual(batches(hosts(4), 0), [hosts(4)]);
    assert.deepEqual(batches(hosts(4), []), [hosts(4)]);
    assert.deepEqual(batches([], 2), []);
  });

  it('a percentage is of all the hosts, rounded down, at least 1', () => {
    assert.equal(batchSize('25%', 3), 1);
    assert.equal(batchSize('50%', 7), 3);
    assert.equal(batchSize('29%', 100), 28, 'the same float rounding as Python');
    assert.equal(batchSize('0%', 10), 1);
    assert.equal(batchSize(4, 10), 4);
  });
});

describe('maxFailExceeded: as Ansible (failed / batch > pct / 100)', () => {
  it('the documented example: max_fail_percentage 30 with 10 hosts aborts when more than 3 fail', () => {
    assert.equal(maxFailExceeded(3, 10, 30), false);
    assert.equal(maxFailExceeded(4, 10, 30), true);
  });

  it('the percentage must be exceeded, not equaled: serial 4, abort at 2 failures needs 49, not 50', () => {
    assert.equal(maxFailExceeded(2, 4, 50), false);
    assert.equal(maxFailExceeded(2, 4, 49), true);
    assert.equal(maxFailExceeded(1, 4, 49), false);
  });

  it('0: any failure; 100: never; undefined: no threshold', () => {
    assert.equal(maxFailExceeded(1, 100, 0), true);
    assert.equal(maxFailExceeded(0, 100, 0), false);
    assert.equal(maxFailExceeded(10, 10, 100), false);
    assert.equal(maxFailExceeded(10, 10, undefined), false);
  });
});

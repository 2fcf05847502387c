import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closest, didYouMean, distance } from '../../src/playbook/suggest.ts';

describe('suggest', () => {
  it('edit distance, with an adjacent swap as one edit', () => {
    assert.equal(distance('serial', 'serial'), 0);
    assert.equal(distance('serail', 'serial'), 1);
    assert.equal(distance('inii', 'ini'), 1);
    assert.equal(distance('', 'abc'), 3);
  });

  it('suggests only plausible typos', () => {
    assert.equal(closest('whn', ['when', 'name', 'tags']), 'when');
    assert.equal(closest('Become', ['become', 'become_user']), 'become');
    assert.equal(closest('yum', ['ini', 'reboot', 'command']), undefined);
    assert.equal(didYouMean('lineinfle', ['lineinfile', 'blockinfile']), ' (did you mean "lineinfile"?)');
    assert.equal(didYouMean('zzz', ['lineinfile']), '');
  });
});

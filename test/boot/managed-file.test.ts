import assert from 'node:assert/strict';
import { test } from 'node:test';
import { managedBy } from '../../src/boot/managed-file.ts';

test('headers of files other tools own are recognised; plain configuration files and passthru\'s own are not', () => {
  assert.deepEqual(managedBy('# Cloud Image specific Grub settings\n# CLOUD_IMG: This file was created/modified by the Cloud Image build process\nX=1\n'), {
    line: 2,
    text: '# CLOUD_IMG: This file was created/modified by the Cloud Image build process',
  });
  assert.equal(managedBy('# This file is managed by Puppet. DO NOT EDIT.\n')?.line, 1);
  assert.equal(managedBy('#\n# Ansible managed\n# changes will be overwritten\n')?.line, 3);
  assert.equal(managedBy('# If you change this file, run \'update-grub\' afterwards to update\n# /boot/grub/grub.cfg.\nGRUB_DEFAULT=0\n'), undefined);
  assert.equal(managedBy('# Written by passthru: do not edit by hand\n'), undefined);
});

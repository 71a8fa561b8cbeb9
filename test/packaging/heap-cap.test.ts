import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heapCapMb, renderMarathonApp } from '../../src/packaging';
import { PACKAGES_DIR } from './schemas';

/**
 * The scheduler app's cmd run as Mesos runs it (/bin/sh -c), with a `pxfw` on PATH that prints
 * the NODE_OPTIONS it was started with: what node would be told.
 */
let dir: string;
let cmd: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pxfw-heap-cap-'));
  writeFileSync(join(dir, 'pxfw'), '#!/bin/sh\nprintf "%s" "$NODE_OPTIONS"\n');
  chmodSync(join(dir, 'pxfw'), 0o755);
  cmd = ((await renderMarathonApp(join(PACKAGES_DIR, 'pxfw-cassandra'))) as { cmd: string }).cmd;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function nodeOptionsOf(env: Record<string, string>): string {
  const res = spawnSync('/bin/sh', ['-c', cmd], {
    env: { PATH: `${dir}:/usr/bin:/bin`, MESOS_SANDBOX: dir, PXFW_SPEC_YAML: 'name: x', PORT0: '1', ...env },
    encoding: 'utf8',
  });
  expect(res.status, res.stderr).toBe(0);
  return res.stdout;
}

describe('the scheduler app caps its V8 heap to the memory Marathon gives it', () => {
  it('passes --max-old-space-size from MARATHON_APP_RESOURCE_MEM (512 MiB: 320 MiB of old space)', () => {
    expect(nodeOptionsOf({ MARATHON_APP_RESOURCE_MEM: '512.0' })).toBe('--max-old-space-size=320');
    expect(heapCapMb(512)).toBe(320);
  });

  it('computes in the shell what heapCapMb computes, whole or fractional MiB', () => {
    for (const mem of ['256.0', '512', '1000.5', '2048.0', '3333.3', '16384.0']) {
      expect(nodeOptionsOf({ MARATHON_APP_RESOURCE_MEM: mem })).toBe(`--max-old-space-size=${heapCapMb(Number(mem))}`);
    }
  });

  it('leaves room beside the heap for node itself at every size the package allows (mem >= 256)', () => {
    for (const mem of [256, 384, 512, 1024, 4096]) {
      expect(heapCapMb(mem)).toBeGreaterThanOrEqual(mem / 2 - 64);
      expect(mem - heapCapMb(mem)).toBeGreaterThanOrEqual(128);
    }
  });

  it('keeps the other NODE_OPTIONS and adds the cap after them', () => {
    expect(nodeOptionsOf({ MARATHON_APP_RESOURCE_MEM: '1024.0', NODE_OPTIONS: '--enable-source-maps' })).toBe(
      `--enable-source-maps --max-old-space-size=${heapCapMb(1024)}`,
    );
  });

  it("lets a heap flag the user set in NODE_OPTIONS win (either spelling)", () => {
    expect(nodeOptionsOf({ MARATHON_APP_RESOURCE_MEM: '512.0', NODE_OPTIONS: '--max-old-space-size=1000' })).toBe('--max-old-space-size=1000');
    expect(nodeOptionsOf({ MARATHON_APP_RESOURCE_MEM: '512.0', NODE_OPTIONS: '--max_old_space_size=900' })).toBe('--max_old_space_size=900');
  });

  it('sets no cap when Marathon did not say the memory (the command still starts the scheduler)', () => {
    expect(nodeOptionsOf({})).toBe('');
  });
});

import { describe, expect, it } from 'vitest';
import { parseSizeGiB, parseDurationSeconds, parseSpec } from '../../src/service-spec';
import { MINIMAL, withPod } from './fixtures';

describe('parseSpec', () => {
  it('fills every default of a minimal spec', () => {
    const spec = parseSpec(MINIMAL);
    expect(spec).toEqual({
      name: 'demo',
      pods: {
        node: {
          type: 'node',
          count: 2,
          cpus: 0.5,
          mem: 512,
          disk: 0,
          ports: [],
          command: 'sleep 1000',
          env: {},
          tunables: {},
          placement: [],
          volumes: [{ name: 'data', path: '/data', size: 1, repl: 2, priority: 'medium', shared: false, fs: 'ext4' }],
          snapshotTimeout: 120,
        },
      },
      plans: { deploy: { strategy: 'serial', phases: [{ name: 'node-deploy', pod: 'node', strategy: 'serial', dependsOn: [] }] }, sidecars: {} },
      failurePolicy: {
        permanentFailureTimeout: 1200,
        autoReplace: true,
        probation: 10,
        maxConcurrentReplacements: 1,
        maxUnavailable: { node: 1 },
        storageOutage: { share: 0.4, minNodes: 2, window: 60 },
        spread: { node: 'keep' },
      },
      convergence: { mode: 'soft', maxWait: 60 },
      volumePolicy: 'retain',
    });
  });

  it('defaults the deploy plan to one serial phase per pod type in declaration order', () => {
    const spec = parseSpec(`${withPod('')}  zeta:\n    count: 1\n    cpus: 1\n    mem: 1\n    command: x\n  alpha:\n    count: 1\n    cpus: 1\n    mem: 1\n    command: x\n`);
    expect(spec.plans.deploy.phases.map((p) => p.pod)).toEqual(['node', 'zeta', 'alpha']);
  });

  it('turns env values into strings and keeps optional fields only when given', () => {
    const spec = parseSpec(
      withPod('    env:\n      HEAP: 512\n      DEBUG: true\n    image: busybox\n    post_snapshot: echo done\n'),
    );
    const pod = spec.pods.node!;
    expect(pod.env).toEqual({ HEAP: '512', DEBUG: 'true' });
    expect(pod.image).toBe('busybox');
    expect(pod.postSnapshot).toBe('echo done');
    expect('preSnapshot' in pod).toBe(false);
  });

  it('reads volume sizes with units as GiB and keeps the secret reference name', () => {
    const spec = parseSpec(
      withPod('    volumes:\n      - {name: a, path: /a, size: 2048Mi, repl: 1}\n      - {name: b, path: /b, size: "2Ti", repl: 3, encryption_secret: px/vol-key, shared: true}\n'),
    );
    const [a, b] = spec.pods.node!.volumes;
    expect(a!.size).toBe(2);
    expect(b).toMatchObject({ size: 2048, repl: 3, encryptionSecret: 'px/vol-key', shared: true });
  });

  it('accepts hard convergence with a duration string', () => {
    const spec = parseSpec(`${MINIMAL}convergence:\n  mode: hard\n  max_wait: 2m\nvolume_policy: delete\n`);
    expect(spec.convergence).toEqual({ mode: 'hard', maxWait: 120 });
    expect(spec.volumePolicy).toBe('delete');
  });
});

describe('units', () => {
  it.each([
    [10, 10],
    ['10', 10],
    ['10Gi', 10],
    ['10G', 10],
    ['1024Mi', 1],
    ['1Ti', 1024],
    ['1048576Ki', 1],
  ])('reads size %s as %s GiB', (input, gib) => {
    expect(parseSizeGiB(input)).toBe(gib);
  });

  it.each(['', 'ten', '10Qi', '-1Gi', null, true])('rejects size %s', (input) => {
    expect(parseSizeGiB(input)).toBeUndefined();
  });

  it.each([
    [90, 90],
    ['90s', 90],
    ['20m', 1200],
    ['1h', 3600],
  ])('reads duration %s as %s seconds', (input, s) => {
    expect(parseDurationSeconds(input)).toBe(s);
  });
});

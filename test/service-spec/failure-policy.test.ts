import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/service-spec';
import { MINIMAL } from './fixtures';

const twoTypes = (journalExtra = '', policy = '') => `
name: demo
pods:
  journal:
    count: 3
    cpus: 1
    mem: 512
    command: sleep 1
${journalExtra}  data:
    count: 5
    cpus: 1
    mem: 512
    command: sleep 1
${policy}`;

describe('failure_policy', () => {
  it('replaces automatically by default, after a 10 s probation, one pod at a time, pausing when more than 40% of the storage nodes go offline at once', () => {
    expect(parseSpec(MINIMAL).failurePolicy).toEqual({
      permanentFailureTimeout: 1200,
      autoReplace: true,
      probation: 10,
      maxConcurrentReplacements: 1,
      maxUnavailable: { node: 1 },
      storageOutage: { share: 0.4, minNodes: 2, window: 60 },
      spread: { node: 'keep' },
    });
  });

  it('reads every field, durations with units', () => {
    const spec = parseSpec(
      `${MINIMAL}failure_policy:\n  auto_replace: false\n  probation: 30s\n  max_concurrent_replacements: 2\n  max_unavailable: 2\n  storage_outage:\n    share: 0.5\n    min_nodes: 3\n    window: 2m\n  spread: break\n`,
    );
    expect(spec.failurePolicy).toEqual({
      permanentFailureTimeout: 1200,
      autoReplace: false,
      probation: 30,
      maxConcurrentReplacements: 2,
      maxUnavailable: { node: 2 },
      storageOutage: { share: 0.5, minNodes: 3, window: 120 },
      spread: { node: 'break' },
    });
  });

  it('takes a per-pod-type spread policy over the service-wide one, and names a bad value', () => {
    const spec = parseSpec(MINIMAL.replace('    command: sleep 1000', '    command: sleep 1000\n    spread: break'));
    expect(spec.failurePolicy.spread).toEqual({ node: 'break' });
    expect(() => parseSpec(`${MINIMAL}failure_policy:\n  spread: sometimes\n`)).toThrow(/failure_policy\.spread.*'keep'.*'break'/s);
  });

  it('fills the storage outage fields not given from the defaults', () => {
    const spec = parseSpec(`${MINIMAL}failure_policy:\n  storage_outage:\n    min_nodes: 4\n`);
    expect(spec.failurePolicy.storageOutage).toEqual({ share: 0.4, minNodes: 4, window: 60 });
  });

  it('resolves max_unavailable for every pod type: the pod type override, else the policy value', () => {
    const spec = parseSpec(twoTypes('    max_unavailable: 2\n', 'failure_policy:\n  max_unavailable: 3\n'));
    expect(spec.failurePolicy.maxUnavailable).toEqual({ journal: 2, data: 3 });
    expect(parseSpec(twoTypes()).failurePolicy.maxUnavailable).toEqual({ journal: 1, data: 1 });
  });

  it('keeps the override out of the pod spec (one place to read it)', () => {
    const spec = parseSpec(twoTypes('    max_unavailable: 2\n'));
    expect(spec.pods.journal).not.toHaveProperty('maxUnavailable');
    expect(spec.pods.journal).not.toHaveProperty('max_unavailable');
  });
});

import { describe, expect, it } from 'vitest';
import { podProgressOf } from '../../machines/framework.logic';

describe('podProgressOf: a plan step is complete only when its pod is ready', () => {
  it.each<[string, boolean | undefined, string]>([
    ['running.up', undefined, 'running'],
    ['running.up', true, 'running'],
    ['running.unready', undefined, 'busy'],
    ['running.unready', false, 'busy'],
    // POD_STATE's flag wins over the state path (the pod's `ready` tag is the contract).
    ['running.up', false, 'busy'],
    ['running.suspect.probation', undefined, 'running'],
    ['placed', true, 'busy'],
    ['decommissioned', undefined, 'decommissioned'],
  ])('%s with ready=%s is %s', (state, ready, progress) => {
    expect(podProgressOf(state, false, ready)).toBe(progress);
  });

  it('a blocked pod is blocked whatever its readiness', () => {
    expect(podProgressOf('running.unready', true, false)).toBe('blocked');
  });
});

import { describe, expect, it } from 'vitest';
import { assessHealth, type HealthInputs } from '../../src/http/health';

const uninstalled: HealthInputs = {
  framework: 'uninstalled',
  subscribed: false,
  leading: true,
  instance: 'i-1',
  portworx: { reachable: true, checkedAt: 1_000, latencyMs: 3 },
  portworxGraceMs: 30_000,
  now: 1_000,
};

describe('/health of an uninstalled service (issue 10: the tombstone keeps the scheduler up)', () => {
  it('is healthy to Marathon although the torn-down framework is not subscribed, and says why', () => {
    const h = assessHealth(uninstalled);
    expect(h.healthy).toBe(true);
    expect(h.checks?.mesos).toMatchObject({ ok: true, subscribed: false, uninstalled: true });
    expect(h.details.reasons).toEqual(['uninstalled: deploys nothing until `pxfw <service> reinstall --yes`']);
  });

  it('stays healthy while Portworx is unreachable past the grace (nothing to act on), reporting it', () => {
    const h = assessHealth({
      ...uninstalled,
      now: 100_000,
      portworx: { reachable: false, checkedAt: 100_000, latencyMs: 2000, unreachableSince: 1_000, error: 'connect ECONNREFUSED' },
    });
    expect(h.healthy).toBe(true);
    expect(h.checks?.portworx).toMatchObject({ ok: true, reachable: false, error: 'connect ECONNREFUSED' });
  });

  it('is still unhealthy on a standby instance: only the lease holder answers reinstall', () => {
    const h = assessHealth({ ...uninstalled, leading: false, leaseHolder: 'other-1' });
    expect(h.healthy).toBe(false);
    expect(h.details.reasons).toContain('not leading: standby, the lease is held by other-1');
  });
});

import type { HealthReport } from './server';
import type { ProbeResult } from './portworx-probe';

export interface HealthInputs {
  /** The supervisor's state line, e.g. `active(plans=complete,…)` or `standby`. */
  framework: string;
  subscribed: boolean;
  leading: boolean;
  /** Who holds the lease when we do not (from the supervisor), if known. */
  leaseHolder?: string | null;
  instance: string;
  portworx: ProbeResult;
  /** Portworx may be unreachable this long before the scheduler counts as unable to act. */
  portworxGraceMs: number;
  now: number;
}

/**
 * `/health` (Marathon's health check): Mesos, Portworx and the leader lease reported separately;
 * healthy only when pxfw can act, i.e. subscribed to Mesos, Portworx reachable (or unreachable for
 * less than the grace) and holding the lease. A standby instance answers 503: it cannot act, and
 * the package runs one instance, so a standby means a predecessor still holds the lease (see
 * docs/operations.md "Health and shutdown").
 */
export function assessHealth(h: HealthInputs): HealthReport {
  const unreachableFor = h.portworx.reachable ? 0 : h.now - (h.portworx.unreachableSince ?? h.now);
  // Uninstalled (the tombstone): nothing to act on, so neither Mesos (the framework is torn down)
  // nor Portworx is needed. Healthy, so Marathon leaves the process up instead of restarting it;
  // the lease still counts (one instance answers `reinstall`). See docs/operations.md "Tombstone".
  const uninstalled = h.framework === 'uninstalled';
  const checks = {
    mesos: { ok: h.subscribed || uninstalled, subscribed: h.subscribed, framework: h.framework, ...(uninstalled ? { uninstalled: true } : {}) },
    portworx: {
      ok: h.portworx.reachable || unreachableFor < h.portworxGraceMs || uninstalled,
      reachable: h.portworx.reachable,
      checkedAt: new Date(h.portworx.checkedAt).toISOString(),
      latencyMs: h.portworx.latencyMs,
      ...(h.portworx.reachable ? {} : { unreachableForMs: unreachableFor, error: h.portworx.error ?? null }),
    },
    lease: { ok: h.leading, leading: h.leading, instance: h.instance, ...(h.leading ? {} : { holder: h.leaseHolder ?? null }) },
  };
  const reasons: string[] = [];
  if (uninstalled) reasons.push('uninstalled: deploys nothing until `pxfw <service> reinstall --yes`');
  if (!checks.mesos.ok) reasons.push(`not subscribed to Mesos (framework ${h.framework})`);
  // While uninstalled Portworx is not needed: an outage is reported, never a reason to be unhealthy.
  if (!h.portworx.reachable && !uninstalled && !checks.portworx.ok) reasons.push(`Portworx unreachable for ${Math.round(unreachableFor / 1000)} s: ${h.portworx.error ?? 'no answer'}`);
  else if (!h.portworx.reachable) reasons.push(`Portworx unreachable for ${Math.round(unreachableFor / 1000)} s (within the ${Math.round(h.portworxGraceMs / 1000)} s grace)`);
  if (!checks.lease.ok) reasons.push(`not leading: standby${h.leaseHolder ? `, the lease is held by ${h.leaseHolder}` : ''}`);
  const healthy = checks.mesos.ok && checks.portworx.ok && checks.lease.ok;
  return {
    healthy,
    details: { framework: h.framework, subscribed: h.subscribed, leading: h.leading, portworxReachable: h.portworx.reachable, reasons },
    checks,
  };
}

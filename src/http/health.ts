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
  const checks = {
    mesos: { ok: h.subscribed, subscribed: h.subscribed, framework: h.framework },
    portworx: {
      ok: h.portworx.reachable || unreachableFor < h.portworxGraceMs,
      reachable: h.portworx.reachable,
      checkedAt: new Date(h.portworx.checkedAt).toISOString(),
      latencyMs: h.portworx.latencyMs,
      ...(h.portworx.reachable ? {} : { unreachableForMs: unreachableFor, error: h.portworx.error ?? null }),
    },
    lease: { ok: h.leading, leading: h.leading, instance: h.instance, ...(h.leading ? {} : { holder: h.leaseHolder ?? null }) },
  };
  const reasons: string[] = [];
  if (!checks.mesos.ok) reasons.push(`not subscribed to Mesos (framework ${h.framework})`);
  if (!checks.portworx.ok) reasons.push(`Portworx unreachable for ${Math.round(unreachableFor / 1000)} s: ${h.portworx.error ?? 'no answer'}`);
  else if (!h.portworx.reachable) reasons.push(`Portworx unreachable for ${Math.round(unreachableFor / 1000)} s (within the ${Math.round(h.portworxGraceMs / 1000)} s grace)`);
  if (!checks.lease.ok) reasons.push(`not leading: standby${h.leaseHolder ? `, the lease is held by ${h.leaseHolder}` : ''}`);
  const healthy = checks.mesos.ok && checks.portworx.ok && checks.lease.ok;
  return {
    healthy,
    details: { framework: h.framework, subscribed: h.subscribed, leading: h.leading, portworxReachable: h.portworx.reachable, reasons },
    checks,
  };
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { buildInfo } from './build-info';

/** Recovery durations (seconds of wall-clock time): probation through a ready task again. */
const RECOVERY_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800];

/**
 * The scheduler's Prometheus metrics, on a registry of its own (several schedulers may share a test process).
 * The console (docs/console.md) shows the same facts: every gauge marked "scrape time" is set from
 * the console's view of the service just before each scrape (see src/http/console-hub.ts).
 */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const info = buildInfo();
  const build = new Gauge({ name: 'pxfw_build_info', help: 'Always 1: the pxfw version and Node.js runtime', labelNames: ['version', 'node'], registers: [registry] });
  build.set({ version: info.version, node: info.node }, 1);
  return {
    registry,
    transitions: new Counter({ name: 'pxfw_transitions_total', help: 'State transitions', labelNames: ['actor_kind', 'to'], registers: [registry] }),
    podStates: new Gauge({ name: 'pxfw_pods', help: 'Pod instances by state', labelNames: ['state'], registers: [registry] }),
    offers: new Counter({ name: 'pxfw_offers_total', help: 'Offers received, by outcome', labelNames: ['outcome'], registers: [registry] }),
    launches: new Counter({ name: 'pxfw_launches_total', help: 'Task groups launched', registers: [registry] }),
    statusUpdates: new Counter({ name: 'pxfw_status_updates_total', help: 'Mesos task status updates received, by task state', labelNames: ['state'], registers: [registry] }),
    recoveries: new Counter({
      name: 'pxfw_recoveries_total',
      help: 'Recoveries completed (a pod that failed is running and ready again), by type: relaunch (same host), replace (another host), host-returned (probation ended without a move)',
      labelNames: ['type'],
      registers: [registry],
    }),
    recoverySeconds: new Histogram({ name: 'pxfw_recovery_seconds', help: 'Time from a pod failing to it running and ready again, by type', labelNames: ['type'], registers: [registry], buckets: RECOVERY_BUCKETS }),
    effectErrors: new Counter({ name: 'pxfw_effect_errors_total', help: 'Effect failures, by effect and code', labelNames: ['effect', 'code'], registers: [registry] }),
    effectSeconds: new Histogram({ name: 'pxfw_effect_seconds', help: 'Effect duration', labelNames: ['effect'], registers: [registry], buckets: [0.005, 0.02, 0.1, 0.5, 2, 10] }),
    replacements: new Counter({ name: 'pxfw_replacements_total', help: 'Automatic replacement decisions, by outcome (queued, granted)', labelNames: ['outcome'], registers: [registry] }),
    replacementPaused: new Gauge({ name: 'pxfw_replacement_paused', help: '1 while automatic replacement is paused (storage outage suspected)', registers: [registry] }),
    connected: new Gauge({ name: 'pxfw_mesos_connected', help: '1 while subscribed to the Mesos master', registers: [registry] }),
    commands: new Counter({ name: 'pxfw_commands_total', help: 'Operator commands answered, by verb and result (ok, error)', labelNames: ['verb', 'result'], registers: [registry] }),
    // Scrape time: set from the console's view just before each scrape.
    portworxReachable: new Gauge({ name: 'pxfw_portworx_reachable', help: '1 while the Portworx API answers (scrape time)', registers: [registry] }),
    leader: new Gauge({ name: 'pxfw_leader', help: '1 while this instance holds the leader lease (scrape time)', registers: [registry] }),
    planStatus: new Gauge({ name: 'pxfw_plan_status', help: '1 for the status each plan is in, 0 for the others (scrape time)', labelNames: ['plan', 'status'], registers: [registry] }),
    planSteps: new Gauge({ name: 'pxfw_plan_steps', help: 'Steps of each plan by status (scrape time)', labelNames: ['plan', 'status'], registers: [registry] }),
    planPaused: new Gauge({ name: 'pxfw_plan_paused', help: '1 while the plan is paused (scrape time)', labelNames: ['plan'], registers: [registry] }),
    phasePaused: new Gauge({
      name: 'pxfw_phase_paused',
      help: '1 while the phase is paused, on its own (plan pause PLAN --phase P) or with its whole plan (scrape time)',
      labelNames: ['plan', 'phase'],
      registers: [registry],
    }),
    snapshots: new Gauge({ name: 'pxfw_snapshots', help: 'Snapshots recorded for the service (scrape time)', registers: [registry] }),
    snapshotAge: new Gauge({ name: 'pxfw_snapshot_age_seconds', help: 'Age of the newest snapshot, labelled with its name; absent when there is none (scrape time)', labelNames: ['snapshot'], registers: [registry] }),
    volumes: new Gauge({ name: 'pxfw_volumes', help: 'Volumes of the service by health: healthy, degraded (scrape time)', labelNames: ['health'], registers: [registry] }),
    volumesDegraded: new Gauge({ name: 'pxfw_volumes_degraded', help: 'Volumes with fewer in-sync replicas on online nodes than their repl (scrape time)', registers: [registry] }),
    agents: new Gauge({ name: 'pxfw_agents', help: 'Mesos agents the scheduler knows, by status: up, unreachable, gone (scrape time)', labelNames: ['status'], registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

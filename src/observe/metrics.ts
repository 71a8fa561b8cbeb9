import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The scheduler's Prometheus metrics, on a registry of its own (several schedulers may share a test process). */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    transitions: new Counter({ name: 'pxfw_transitions_total', help: 'State transitions', labelNames: ['actor_kind', 'to'], registers: [registry] }),
    podStates: new Gauge({ name: 'pxfw_pods', help: 'Pod instances by state', labelNames: ['state'], registers: [registry] }),
    offers: new Counter({ name: 'pxfw_offers_total', help: 'Offers received, by outcome', labelNames: ['outcome'], registers: [registry] }),
    launches: new Counter({ name: 'pxfw_launches_total', help: 'Task groups launched', registers: [registry] }),
    recoveries: new Counter({ name: 'pxfw_recoveries_total', help: 'Recoveries started, by type', labelNames: ['type'], registers: [registry] }),
    effectErrors: new Counter({ name: 'pxfw_effect_errors_total', help: 'Effect failures, by effect and code', labelNames: ['effect', 'code'], registers: [registry] }),
    effectSeconds: new Histogram({ name: 'pxfw_effect_seconds', help: 'Effect duration', labelNames: ['effect'], registers: [registry], buckets: [0.005, 0.02, 0.1, 0.5, 2, 10] }),
    replacements: new Counter({ name: 'pxfw_replacements_total', help: 'Automatic replacement decisions, by outcome (queued, granted)', labelNames: ['outcome'], registers: [registry] }),
    replacementPaused: new Gauge({ name: 'pxfw_replacement_paused', help: '1 while automatic replacement is paused (storage outage suspected)', registers: [registry] }),
    connected: new Gauge({ name: 'pxfw_mesos_connected', help: '1 while subscribed to the Mesos master', registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

import type { Metrics } from '../observe/metrics';
import type { ConsoleState } from './console-state';

const PLAN_STATUSES = ['not started', 'in progress', 'complete', 'waiting', 'failed', 'paused'];
const STEP_STATUSES = ['not started', 'prepared', 'in progress', 'done', 'waiting', 'failed'];
const slug = (s: string) => s.replace(/\(.*\)/, '').trim().replace(/[^a-z0-9]+/gi, '-').toLowerCase();

/**
 * Prometheus gets what the console shows (issue 13): the scrape-time gauges of metrics.ts are set
 * here from one console state, so a scrape and the page never disagree. Labels are the console's
 * words, slugged: `pxfw_plan_status{plan="deploy",status="in-progress"} 1`.
 */
export function setConsoleGauges(m: Partial<Metrics>, s: ConsoleState, now: number): void {
  const check = (name: string) => s.checks.find((c) => c.name === name);
  const px = check('portworx');
  if (px) m.portworxReachable?.set(px.tone === 'ok' ? 1 : 0);
  m.leader?.set(s.framework.leading ? 1 : 0);
  m.planStatus?.reset();
  m.planSteps?.reset();
  m.planPaused?.reset();
  m.phasePaused?.reset();
  for (const p of s.plans) {
    for (const st of PLAN_STATUSES) m.planStatus?.set({ plan: p.name, status: slug(st) }, p.text === st ? 1 : 0);
    m.planPaused?.set({ plan: p.name }, p.paused ? 1 : 0);
    // A phase paused on its own leaves its plan unpaused: only this series shows it.
    for (const ph of p.phases) m.phasePaused?.set({ plan: p.name, phase: ph.name }, ph.paused ? 1 : 0);
    const steps = p.phases.flatMap((ph) => ph.steps);
    for (const st of STEP_STATUSES) m.planSteps?.set({ plan: p.name, status: slug(st) }, steps.filter((x) => x.text === st).length);
  }
  m.snapshots?.set(s.snapshots.length);
  m.snapshotAge?.reset();
  const newest = s.snapshots[0];
  if (newest) m.snapshotAge?.set({ snapshot: newest.name }, Math.max(0, (now - Date.parse(newest.createdAt)) / 1000));
  const degraded = s.volumes.filter((v) => v.degraded).length;
  m.volumesDegraded?.set(degraded);
  m.volumes?.set({ health: 'degraded' }, degraded);
  m.volumes?.set({ health: 'healthy' }, s.volumes.length - degraded);
  m.agents?.reset();
  const agents = s.topology.flatMap((r) => r.zones.flatMap((z) => z.racks.flatMap((k) => k.agents)));
  for (const a of agents) m.agents?.inc({ status: slug(a.text) });
}

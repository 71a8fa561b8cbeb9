import type { PlanStatusValue, StepStatus } from '../api/operations';
import type { ConsoleAgentFact, ConsoleFrameworkFact, ConsolePodFact } from './console-types';

/** How a fact should look: ok (green), warn (amber), bad (red), info (blue), muted (grey). */
export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

/** A state in words for people, with its tone. Never a statechart path (issue 13, "Language"). */
export interface Said {
  text: string;
  tone: Tone;
}

const say = (text: string, tone: Tone): Said => ({ text, tone });

/** Pod states by their tags (docs/machines.md "Tags"), the first that applies wins. */
const BY_TAG: [string, Said][] = [
  ['blocked', say('needs the operator', 'bad')],
  ['probation', say('on probation', 'warn')],
  ['awaiting-slot', say('waiting for a replacement slot', 'warn')],
  ['re-attaching', say('moving to another host', 'warn')],
  ['relaunching', say('relaunching', 'warn')],
  ['stopping', say('stopping', 'muted')],
  ['ready', say('running', 'ok')],
  ['running', say('running, not ready yet', 'warn')],
  ['awaiting-offer', say('waiting for an offer', 'info')],
];

/**
 * What a pod is doing, in words. The service's own state comes first: after an uninstall the pod
 * actors are stopped where they were (often `running.up`), and the page must not say "running".
 */
export function podSaid(pod: Pick<ConsolePodFact, 'tags' | 'state' | 'actorStatus'>, fw: Pick<ConsoleFrameworkFact, 'is'>): Said {
  if (fw.is.uninstalled) return say('removed by the uninstall', 'muted');
  if (pod.actorStatus === 'done' || pod.state === 'decommissioned') return say('decommissioned', 'muted');
  if (pod.actorStatus === 'stopped') return fw.is.uninstalling ? say('being uninstalled', 'muted') : say('not managed now', 'muted');
  const tags = new Set(pod.tags);
  for (const [tag, said] of BY_TAG) if (tags.has(tag)) return said;
  if (pod.state === 'stopped') return say('stopped', 'muted');
  if (pod.state === 'placed') return say('launching', 'info');
  if (pod.state.startsWith('pending')) return say('creating its volumes', 'info');
  return say(pod.state.split('.')[0]!.replace(/-/g, ' '), 'info');
}

const STEP: Record<StepStatus, Said> = {
  PENDING: say('not started', 'muted'),
  PREPARED: say('prepared', 'info'),
  STARTING: say('in progress', 'info'),
  COMPLETE: say('done', 'ok'),
  WAITING: say('waiting', 'warn'),
  ERROR: say('failed', 'bad'),
};

export function stepSaid(status: string): Said {
  return STEP[status as StepStatus] ?? say(status.toLowerCase().replace(/_/g, ' '), 'info');
}

const PLAN: Record<PlanStatusValue, Said> = {
  PENDING: say('not started', 'muted'),
  IN_PROGRESS: say('in progress', 'info'),
  COMPLETE: say('complete', 'ok'),
  WAITING: say('waiting', 'warn'),
  ERROR: say('failed', 'bad'),
};

export function planSaid(status: string, paused: boolean): Said {
  if (paused && status !== 'COMPLETE') return say('paused', 'warn');
  return PLAN[status as PlanStatusValue] ?? say(status.toLowerCase().replace(/_/g, ' '), 'info');
}

/** The scheduler in words: what the header shows instead of the supervisor's state line. */
export function frameworkSaid(fw: ConsoleFrameworkFact): Said {
  if (fw.is.uninstalled) return say('uninstalled', 'muted');
  if (fw.is.uninstalling) return say('uninstalling', 'warn');
  if (fw.is.reinstalling) return say('reinstalling', 'info');
  if (fw.is.active) return fw.subscribed ? say('active', 'ok') : say('active, reconnecting to Mesos', 'warn');
  if (!fw.leading && fw.state.startsWith('standby')) return say('standby: another instance leads', 'muted');
  return say('starting', 'info');
}

/**
 * An agent as an operator sees it: removed or unreachable in Mesos, or its host down as Portworx
 * sees it (a crashed host is offline in Portworx well before Mesos gives up on it).
 */
export function agentSaid(a: Pick<ConsoleAgentFact, 'gone' | 'unreachable' | 'storage'>): Said {
  if (a.gone) return say('removed', 'bad');
  if (a.unreachable) return say('unreachable', 'bad');
  if (a.storage === 'offline') return say('host down (Portworx offline)', 'bad');
  if (a.storage === 'alive') return say('storage not serving', 'warn');
  return say('up', 'ok');
}

/** A replica holder: in sync on a node that serves I/O, or not. */
export function holderSaid(storage: ConsoleAgentFact['storage'] | undefined, agentDown: boolean): Said {
  if (storage === 'offline' || agentDown) return say('offline', 'bad');
  if (storage === 'alive') return say('not serving', 'warn');
  if (storage === undefined || storage === null) return say('unknown', 'muted');
  return say('in sync', 'ok');
}

/** Seconds as people read them: 42 s, 5 min, 3 h, 2 d. */
export function ageSaid(seconds: number): string {
  if (seconds < 90) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

import type { Sandbox } from '../../src/sandbox/sandbox';
import type { PlanView } from '../../src/api/operations';
import { frameworkYaml, startSandbox } from './helpers';
import { podTransitions, readRecords } from './helpers-recovery';

/**
 * The real fault model in simulated time. Every e2e sandbox runs at SPEED, and the simulators and
 * the scheduler divide their timers by it, so these are the wall-clock equivalents.
 */
export const SPEED = 10;
/** Simulated seconds → wall-clock milliseconds at SPEED. */
export const simMs = (seconds: number): number => (seconds * 1000) / SPEED;
/** Portworx notices a dead host after its detect delay (3 s by default). */
export const DETECT_DELAY_MS = simMs(3);
/** Mesos marks a silent agent unreachable after --agent_ping_timeout 15 s x --max_agent_ping_timeouts 5. */
export const MESOS_UNREACHABLE_MS = simMs(15 * 5);
/** The shipped specs' failure_policy.probation (10 s). */
export const SHIPPED_PROBATION_MS = simMs(10);

/** The probation the pod actors really use (the runtime scales spec times by the sandbox speed). */
export function probationMs(sb: Sandbox): number {
  const input = sb.scheduler.runtime.registry.inputFor('node', 0) as { failurePolicy: { probationMs?: number }; timing?: { probationMs?: number } };
  return input.failurePolicy.probationMs ?? input.timing?.probationMs ?? SHIPPED_PROBATION_MS;
}

/**
 * A recorded sandbox at SPEED running a shipped framework spec (optionally patched, see
 * patchSpec), once it is deployed. A sandbox that does not deploy is stopped again.
 */
export async function startDeployed(framework: string, overrides?: (yaml: string) => string): Promise<{ sb: Sandbox; record: string; name: string }> {
  const spec = frameworkYaml(framework, overrides);
  const started = await startSandbox(spec.yaml, { speed: SPEED });
  const sb = started.sandbox;
  try {
    await sb.scheduler.waitDeployed(60_000);
  } catch (err) {
    await sb.stop().catch(() => undefined);
    throw err;
  }
  return { sb, record: started.record!, name: spec.name };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Is the host of this agent dead (crashAgent), as the simulator knows it and the master does not? */
export function hostIsDown(sb: Sandbox, hostname: string): boolean {
  const agents = sb.mesos.agents().filter((a) => a.hostname === hostname);
  return agents.length > 0 && agents.every((a) => a.hostDown || a.state === 'removed' || a.state === 'gone');
}

/** Recorded status updates of one task as the scheduler received them, oldest first. */
export function recordedUpdates(dir: string, taskId: string): { ts: string; state: string; reason?: string; line: number }[] {
  const out: { ts: string; state: string; reason?: string; line: number }[] = [];
  for (const r of readRecords(dir, 'mesos')) {
    if (r.api !== 'scheduler' || r.dir !== 'event') continue;
    const body = r.body as { type?: string; update?: { status?: { task_id?: { value?: string }; state?: string; reason?: string } } };
    const status = body.update?.status;
    if (body.type !== 'UPDATE' || status?.task_id?.value !== taskId) continue;
    out.push({ ts: r.ts, state: String(status.state), ...(status.reason ? { reason: status.reason } : {}), line: r.line });
  }
  return out;
}

/** Recorded KILL calls of one task. */
export function recordedKills(dir: string, taskId: string): { ts: string; line: number }[] {
  return readRecords(dir, 'mesos')
    .filter((r) => {
      const body = r.body as { type?: string; kill?: { task_id?: { value?: string } } };
      return r.api === 'scheduler' && r.dir === 'call' && body.type === 'KILL' && body.kill?.task_id?.value === taskId;
    })
    .map((r) => ({ ts: r.ts, line: r.line }));
}

/** One pod's replacement: from its first step into `re-attaching` until it runs again (open: `to` undefined). */
export interface ReplacementWindow {
  pod: string;
  from: number;
  to?: number;
}

/**
 * The automatic replacements the transition log shows, per pod: a pod the replacement governor
 * let go (REPLACE_GRANTED into re-attaching) opens a window, the next `running` state closes it
 * (the governor counts placement and launch as replacing too). Re-attaching for other reasons (a
 * task lost with its agent: release, then relaunch preferring the same host) is no replacement.
 */
export function replacementWindows(dir: string): ReplacementWindow[] {
  const open = new Map<string, ReplacementWindow>();
  const out: ReplacementWindow[] = [];
  for (const t of podTransitions(dir)) {
    const at = Date.parse(t.ts);
    const granted = t.event === 'REPLACE_GRANTED';
    if (t.to.startsWith('re-attaching') && granted && !open.has(t.pod)) {
      const w: ReplacementWindow = { pod: t.pod, from: at };
      open.set(t.pod, w);
      out.push(w);
    } else if (t.to.startsWith('running') && open.has(t.pod)) {
      open.get(t.pod)!.to = at;
      open.delete(t.pod);
    }
  }
  return out;
}

/** Pods that ever waited for a replacement slot (permanently failed, automatic replacement). */
export function podsThatAwaitedSlot(dir: string): string[] {
  return [...new Set(podTransitions(dir).filter((t) => t.to.startsWith('failed.awaiting-slot')).map((t) => t.pod))];
}

/** The largest number of replacement windows open at the same moment, and which pods overlapped. */
export function peakConcurrentReplacements(windows: ReplacementWindow[]): { peak: number; overlapping: string[] } {
  let peak = 0;
  let overlapping: string[] = [];
  for (const w of windows) {
    const during = windows.filter((o) => o.from <= w.from && (o.to === undefined || o.to > w.from));
    if (during.length > peak) {
      peak = during.length;
      overlapping = during.map((o) => o.pod);
    }
  }
  return { peak, overlapping };
}

/** Why the last `recoveryPlan` call got no plan (for failure messages). */
export let lastRecoveryPlanError: string | undefined;

/** The scheduler's recovery plan (`pxfw <service> plan status recovery`), or undefined if it has none. */
export async function recoveryPlan(sb: Sandbox): Promise<PlanView | undefined> {
  return sb.scheduler.operations.planStatus('recovery').catch((err: unknown) => {
    lastRecoveryPlanError = err instanceof Error ? err.message : String(err);
    return undefined;
  });
}

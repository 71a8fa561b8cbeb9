import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanView } from '../../src/api/operations';
import type { GovernorStatus } from '../../src/controller/replacement-governor';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { SimTaskSummary } from '../../src/sim/mesos';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually } from './helpers';
import { DETECT_DELAY_MS, lastRecoveryPlanError, peakConcurrentReplacements, probationMs, recoveryPlan, replacementWindows, sleep, startDeployed } from './helpers-faults';
import { liveTasks, patchSpec, podTasks, recordedForcedDetaches, recordedLaunches, runningTask, SafetyWatch } from './helpers-recovery';

const PODS = ['node-0', 'node-1', 'node-2'];

/** Polls `plan status recovery` and the replacement governor while a scenario plays out. */
class PlanSampler {
  readonly views: PlanView[] = [];
  readonly governor: GovernorStatus[] = [];
  private readonly timer: NodeJS.Timeout;
  private busy = false;

  constructor(private readonly sb: Sandbox) {
    this.timer = setInterval(() => void this.poll(), 25);
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.governor.push(this.sb.scheduler.runtime.governor.status());
    try {
      const view = await recoveryPlan(this.sb);
      if (view) this.views.push(view);
    } finally {
      this.busy = false;
    }
  }

  stop(): PlanView[] {
    clearInterval(this.timer);
    return this.views;
  }

  /** The most recovery steps that were STARTING (relaunching or being replaced) in one view. */
  peakStarting(): number {
    return Math.max(0, ...this.views.map((v) => v.phases.flatMap((p) => p.steps).filter((s) => s.status === 'STARTING').length));
  }
}

/** Every pod's running task, each on a host that is alive. */
function allRunningOnLiveHosts(sb: Sandbox, name: string): SimTaskSummary[] | undefined {
  const running = PODS.map((p) => liveTasks(podTasks(sb, name, p), sb).find((t) => t.state === 'TASK_RUNNING'));
  return running.every(Boolean) ? (running as SimTaskSummary[]) : undefined;
}

/**
 * A deployed Cassandra service (the shipped spec, optionally patched) whose pods' running tasks
 * are the victims of the fault to come: each pod is watched for safety, and `plan status
 * recovery` and the governor are sampled from now on.
 */
async function watchedCassandra(pods: string[], overrides?: (yaml: string) => string) {
  const started = await startDeployed('cassandra', overrides);
  const { sb, name } = started;
  const victims = pods.map((p) => runningTask(sb, name, p));
  const watches = pods.map((p) => new SafetyWatch(sb, name, p, `${name}-${p}-data`));
  return { ...started, victims, watches, plans: new PlanSampler(sb) };
}

async function stopWatched(sb: Sandbox | undefined, plans: PlanSampler | undefined, watches: SafetyWatch[] | undefined): Promise<void> {
  plans?.stop();
  for (const w of watches ?? []) w.stop();
  await sb?.stop();
}

// The scenarios below each have a sandbox of their own and wait mostly on simulated time: they run
// side by side (describe.concurrent); the checks of one scenario run in order (it.sequential).
/**
 * The shipped Cassandra spec, unchanged: three of the six hosts die at once. Half of the
 * Portworx nodes going offline within a minute is more than storage_outage.share (0.4) and at
 * least min_nodes (2): that looks like a storage outage, so automatic replacement pauses and says
 * why, until the nodes come back; then the pods are replaced one at a time.
 */
describe.concurrent('three hosts crash at once: automatic replacement pauses and says so, then replaces one pod at a time', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let victims: SimTaskSummary[];
  let pausedPlan: PlanView | undefined;
  let governorPaused: GovernorStatus | undefined;
  let queuedWhilePaused: string[];
  let plans: PlanSampler;
  let watches: SafetyWatch[];

  beforeAll(async () => {
    ({ sb, record, name, victims, watches, plans } = await watchedCassandra(PODS));
    for (const v of victims) sb.mesos.crashAgent(v.hostname);
    governorPaused = await eventually(
      'the replacement governor to pause',
      () => {
        const status = sb.scheduler.runtime.governor.status();
        return status.paused ? status : undefined;
      },
      DETECT_DELAY_MS + probationMs(sb) * 3,
    ).catch(() => undefined);
    // Stay paused for a while: nothing may be replaced in the meantime.
    await sleep(probationMs(sb) * 2);
    pausedPlan = await recoveryPlan(sb);
    queuedWhilePaused = sb.scheduler.runtime.governor.status().queued;
  });

  afterAll(() => stopWatched(sb, plans, watches));

  it.sequential('pauses automatic replacement, naming a storage outage, with every failed pod queued', () => {
    expect(governorPaused, 'governor status while three of six Portworx nodes are offline').toBeDefined();
    expect(governorPaused!.reason).toMatch(/storage outage/);
    expect(queuedWhilePaused.sort()).toEqual(PODS);
  });

  it.sequential('says so in `plan status recovery`: WAITING, with the reason as its error line and one step per pod', () => {
    expect(pausedPlan, `plan status recovery: ${lastRecoveryPlanError}`).toBeDefined();
    expect(pausedPlan!.status).toBe('WAITING');
    expect(pausedPlan!.errors.join('\n')).toMatch(/paused.*storage outage/);
    expect(pausedPlan!.phases.flatMap((p) => p.steps.map((st) => `${st.name}=${st.status}`)).sort()).toEqual(PODS.map((p) => `${p}=WAITING`));
  });

  it.sequential('replaces nothing while paused: no forced detach, no re-attaching pod', () => {
    expect(replacementWindows(record)).toEqual([]);
    for (const v of sb.portworx.volumes().filter((x) => PODS.some((p) => x.name === `${name}-${p}-data`))) {
      expect(recordedForcedDetaches(record, v.id), v.name).toEqual([]);
    }
  });

  it.sequential('resumes when the nodes come back and replaces the pods one at a time', async () => {
    // Two of the three hosts come back: 1 of 6 nodes offline is no outage any more.
    for (const v of victims.slice(0, 2)) sb.mesos.restartAgent(v.hostname);
    const running = await eventually('all three pods running on live hosts', () => allRunningOnLiveHosts(sb, name), 30_000);
    expect(running.map((t) => t.hostname)).not.toContain(victims[2]!.hostname);
    const windows = replacementWindows(record);
    const { peak, overlapping } = peakConcurrentReplacements(windows);
    // Pods whose host came back may relaunch in place (not a replacement, not rate-limited).
    expect(peak, `overlapping replacements: ${overlapping.join(', ')}`).toBeLessThanOrEqual(1);
  });

  it.sequential('never had two live tasks of a pod, nor a volume attached on two hosts', () => {
    expect(watches.flatMap((w) => w.stop())).toEqual([]);
  });

  it.sequential('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});

/**
 * The same crash with the outage pause switched off (storage_outage.share: 1 never pauses): the
 * replacement governor still lets one pod of the type be replaced at a time
 * (max_concurrent_replacements: 1), and the recovery plan shows the others waiting.
 */
describe.concurrent('three hosts crash at once with the outage pause off: one replacement at a time', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let victims: SimTaskSummary[];
  let plans: PlanSampler;
  let watches: SafetyWatch[];
  let running: SimTaskSummary[];

  beforeAll(async () => {
    ({ sb, record, name, victims, watches, plans } = await watchedCassandra(
      PODS,
      patchSpec((doc) => {
        (doc.failure_policy as { storage_outage: { share: number } }).storage_outage.share = 1;
      }),
    ));
    for (const v of victims) sb.mesos.crashAgent(v.hostname);
    running = await eventually('all three pods running on live hosts', () => allRunningOnLiveHosts(sb, name), 30_000);
    plans.stop();
  });

  afterAll(() => stopWatched(sb, plans, watches));

  it.sequential('moves every pod off its dead host', () => {
    const dead = new Set(victims.map((v) => v.hostname));
    expect(running.filter((t) => dead.has(t.hostname))).toEqual([]);
    expect(new Set(running.map((t) => t.hostname)).size).toBe(3);
  });

  it.sequential('has at most one pod re-attaching or being placed at any moment', () => {
    const windows = replacementWindows(record);
    expect(windows.map((w) => w.pod).sort()).toEqual(PODS);
    const { peak, overlapping } = peakConcurrentReplacements(windows);
    expect(peak, `overlapping replacements: ${overlapping.join(', ')}`).toBe(1);
  });

  it.sequential('grants one replacement slot at a time and queues the other pods', () => {
    expect(Math.max(...plans.governor.map((g) => g.active.length))).toBe(1);
    expect(plans.governor.some((g) => g.queued.length > 0)).toBe(true);
    expect(plans.governor.some((g) => g.paused)).toBe(false);
  });

  it.sequential('shows in `plan status recovery` one step starting and the others waiting for a slot', () => {
    expect(plans.views.length, `plan status recovery: ${lastRecoveryPlanError}`).toBeGreaterThan(0);
    expect(plans.peakStarting()).toBe(1);
    const waiting = plans.views.some((v) => v.phases.flatMap((p) => p.steps).some((s) => s.status === 'WAITING'));
    expect(waiting).toBe(true);
  });

  it.sequential('never had two live tasks of a pod, nor a volume attached on two hosts', () => {
    expect(watches.flatMap((w) => w.stop())).toEqual([]);
  });

  it.sequential('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});

/**
 * The shipped Cassandra spec, unchanged: the hosts of two pods die at once. Two of six Portworx nodes (33%) is within storage_outage.share (40%):
 * a failure domain lost, not a storage outage. Both pods are replaced, one after the other.
 */
describe.concurrent('two hosts crash at once (a failure domain): no pause, both pods replaced one at a time', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let victims: SimTaskSummary[];
  let plans: PlanSampler;
  let watches: SafetyWatch[];
  let moved: SimTaskSummary[];
  const pods = PODS.slice(0, 2);

  beforeAll(async () => {
    ({ sb, record, name, victims, watches, plans } = await watchedCassandra(pods));
    for (const v of victims) sb.mesos.crashAgent(v.hostname);
    moved = await eventually(
      'both pods running on other hosts',
      () => {
        const now = pods.map((p, i) => liveTasks(podTasks(sb, name, p), sb).find((t) => t.state === 'TASK_RUNNING' && t.hostname !== victims[i]!.hostname));
        return now.every(Boolean) ? (now as SimTaskSummary[]) : undefined;
      },
      30_000,
    );
    plans.stop();
  });

  afterAll(() => stopWatched(sb, plans, watches));

  it.sequential('never pauses automatic replacement', () => {
    expect(plans.governor.filter((g) => g.paused)).toEqual([]);
  });

  it.sequential('replaces both pods, one at a time, each with its own volume', () => {
    const windows = replacementWindows(record);
    expect(windows.map((w) => w.pod).sort()).toEqual(pods);
    const { peak, overlapping } = peakConcurrentReplacements(windows);
    expect(peak, `overlapping replacements: ${overlapping.join(', ')}`).toBe(1);
    pods.forEach((p, i) => expect(moved[i]!.volumes.map((v) => v.name), p).toEqual([`${name}-${p}-data`]));
  });

  it.sequential('never had two live tasks of a pod, nor a volume attached on two hosts', () => {
    expect(watches.flatMap((w) => w.stop())).toEqual([]);
  });

  it.sequential('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});

/**
 * The shipped Cassandra spec, unchanged: Portworx reports three of the six nodes OFFLINE at once
 * while every agent and task is fine (a storage control-plane outage, libopenstorage/stork#1842).
 * Nothing moves, during the outage or after it, and replacement is reported paused meanwhile.
 */
describe.concurrent('Portworx reports three nodes offline at once while their agents run: nothing moves, and replacement pauses', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let victims: SimTaskSummary[];
  let plans: PlanSampler;
  let watches: SafetyWatch[];

  beforeAll(async () => {
    ({ sb, record, name, victims, watches, plans } = await watchedCassandra(PODS));
    for (const v of victims) sb.portworx.setNodeStatus(v.hostname, 'STATUS_OFFLINE');
    await sleep(probationMs(sb) * 2.5);
    for (const v of victims) sb.portworx.setNodeStatus(v.hostname, 'STATUS_OK');
    await sleep(probationMs(sb) * 2);
    plans.stop();
  });

  afterAll(() => stopWatched(sb, plans, watches));

  it.sequential('reports automatic replacement paused while the nodes are offline, and resumed after', () => {
    expect(plans.governor.some((g) => g.paused && /storage outage/.test(g.reason ?? ''))).toBe(true);
    expect(sb.scheduler.runtime.governor.status().paused).toBe(false);
  });

  it.sequential('keeps every task where it was: no launch, no forced detach, no replacement', () => {
    for (const v of victims) {
      const pod = PODS[victims.indexOf(v)]!;
      expect(podTasks(sb, name, pod).map((t) => [t.taskId, t.hostname, t.state]), pod).toEqual([[v.taskId, v.hostname, 'TASK_RUNNING']]);
      expect(recordedLaunches(record, v.taskId.replace(/__\d+-[0-9a-f]+$/, '__')), pod).toHaveLength(1);
    }
    for (const v of sb.portworx.volumes().filter((x) => PODS.some((p) => x.name === `${name}-${p}-data`))) {
      expect(recordedForcedDetaches(record, v.id), v.name).toEqual([]);
    }
    expect(replacementWindows(record)).toEqual([]);
  });

  it.sequential('has every pod running again, none waiting for a slot', () => {
    for (const p of PODS) expect(sb.scheduler.runtime.registry.get(p)?.state, p).toBe('running.up');
    expect(sb.scheduler.runtime.governor.status().queued).toEqual([]);
  });

  it.sequential('never had two live tasks of a pod, nor a volume attached on two hosts', () => {
    expect(watches.flatMap((w) => w.stop())).toEqual([]);
  });

  it.sequential('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});

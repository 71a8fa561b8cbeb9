import type { PodInstanceContext } from '../../machines/pod-instance.types';
import { podInput, toRunning, VOLUME_IDS, type PodRig } from './pod-harness';

/**
 * The pod machine's rows of docs/failure-classification.md, one per signal and phase. Each row
 * drives a fresh pod from the start; the test files run every row (failure-classification.test.ts
 * one test per row; pod-instance.machine.test.ts for transition coverage).
 */
export type Outcome = 'transient' | 're-place' | 'suspect' | 'permanent' | 'release and relaunch' | 'ended' | 'readmit' | 'no action';

export interface ClassificationRow {
  id: string;
  signal: string;
  when: string;
  outcome: Outcome;
  autoReplace: boolean;
  drive: (rig: PodRig) => Promise<void>;
  state: string;
  context?: Partial<PodInstanceContext>;
}

const update = (rig: PodRig, state: string, extra: Record<string, unknown> = {}, taskId = 't1') =>
  rig.actor.send({ type: 'TASK_UPDATE', taskId, state: state as never, ...extra });

async function launching(rig: PodRig): Promise<void> {
  await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
  rig.actor.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o1' });
}

const pxDown = (rig: PodRig) => rig.actor.send({ type: 'HOST_DOWN', hostname: 'h1', source: 'portworx', reason: 'Portworx node h1 is OFFLINE' });
const mesosDown = (rig: PodRig) => rig.actor.send({ type: 'HOST_DOWN', hostname: 'h1', source: 'mesos', reason: 'Mesos lost agent a1 (FAILURE)' });

/** Let the probation run out and answer the confirmation. */
async function confirm(rig: PodRig, down: boolean, reason: string): Promise<void> {
  rig.clock.increment(10_000);
  await rig.effects.resolve('confirmHostDown', { down, reason });
}

async function stopping(rig: PodRig): Promise<void> {
  await toRunning(rig);
  rig.actor.send({ type: 'DECOMMISSION', volumes: 'retain' });
  await rig.effects.resolve('killTask', { terminal: false });
}

const noMove = { replacing: false, needsFence: false } as const;

export const CLASSIFICATION_ROWS: ClassificationRow[] = [
  { id: 'M1', signal: 'TASK_FINISHED', when: 'running', outcome: 'transient', autoReplace: true,
    drive: async (r) => { await toRunning(r); update(r, 'TASK_FINISHED'); }, state: 'failed.transient', context: { preferAgent: 'a1', ...noMove } },
  { id: 'M2', signal: 'TASK_FAILED', when: 'running', outcome: 'transient', autoReplace: true,
    drive: async (r) => { await toRunning(r); update(r, 'TASK_FAILED', { reason: 'REASON_COMMAND_EXECUTOR_FAILED' }); }, state: 'failed.transient', context: { preferAgent: 'a1', ...noMove } },
  { id: 'M3', signal: 'TASK_KILLED', when: 'running', outcome: 'transient', autoReplace: true,
    drive: async (r) => { await toRunning(r); update(r, 'TASK_KILLED'); }, state: 'failed.transient', context: { preferAgent: 'a1', ...noMove } },
  { id: 'M4', signal: 'TASK_ERROR', when: 'running', outcome: 'transient', autoReplace: true,
    drive: async (r) => { await toRunning(r); update(r, 'TASK_ERROR'); }, state: 'failed.transient', context: { preferAgent: 'a1', ...noMove } },
  { id: 'M5', signal: 'TASK_ERROR / TASK_DROPPED / TASK_FAILED (REASON_CONTAINER_LAUNCH_FAILED)', when: 'launching', outcome: 're-place', autoReplace: true,
    drive: async (r) => { await launching(r); update(r, 'TASK_FAILED', { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: 'volume attached elsewhere' }); },
    state: 'volume-provisioned.awaiting-holder', context: { task: null, launchFailures: 1, ...noMove } },
  { id: 'M6', signal: 'TASK_DROPPED or TASK_UNKNOWN answering the reconciliation of a lost ACCEPT', when: 'launching', outcome: 're-place', autoReplace: true,
    drive: async (r) => { await launching(r); update(r, 'TASK_UNKNOWN', { message: 'Reconciliation: Task is unknown' }); },
    state: 'volume-provisioned.awaiting-holder', context: { task: null, ...noMove } },
  { id: 'M34', signal: 'TASK_GONE with REASON_RECONCILIATION answering the reconciliation of a lost ACCEPT (a task the master never heard of, on a registered agent: master.cpp `reconcile`)', when: 'launching', outcome: 're-place', autoReplace: true,
    drive: async (r) => { await launching(r); update(r, 'TASK_GONE', { reason: 'REASON_RECONCILIATION', message: 'Reconciliation: Task is unknown to the agent' }); },
    state: 'volume-provisioned.awaiting-holder', context: { task: null, ...noMove } },
  { id: 'M7', signal: 'TASK_GONE (from a live agent, e.g. after an agent restart)', when: 'running', outcome: 'transient', autoReplace: true,
    drive: async (r) => { await toRunning(r); update(r, 'TASK_GONE', { message: 'Killing un-reregistered executor' }); },
    state: 'failed.transient', context: { preferAgent: 'a1', ...noMove } },
  { id: 'M8', signal: 'TASK_GONE', when: 'launching', outcome: 'transient', autoReplace: true,
    drive: async (r) => { await launching(r); update(r, 'TASK_GONE'); }, state: 'failed.transient', context: { preferAgent: 'a1', ...noMove } },
  { id: 'M9', signal: 'TASK_LOST (agent unregistered, or a new agent at the same address)', when: 'running', outcome: 'release and relaunch', autoReplace: false,
    drive: async (r) => { await toRunning(r); update(r, 'TASK_LOST', { reason: 'REASON_AGENT_REREGISTERED' }); },
    state: 'failed.releasing', context: { task: null, needsFence: true, replacing: false, preferAgent: 'a1', failure: { kind: 'transient', trigger: 'task-lost', excludeHost: null, reason: expectReason('TASK_LOST') } } },
  { id: 'M10', signal: 'TASK_LOST', when: 'launching', outcome: 'release and relaunch', autoReplace: false,
    drive: async (r) => { await launching(r); update(r, 'TASK_LOST'); }, state: 'failed.releasing', context: { replacing: false } },
  { id: 'M11', signal: 'AGENT_REMOVED (AGENT_GONE)', when: 'running', outcome: 'release and relaunch', autoReplace: false,
    drive: async (r) => { await toRunning(r); r.actor.send({ type: 'AGENT_GONE', agentId: 'a1' }); },
    state: 'failed.releasing', context: { replacing: false, failure: { kind: 'transient', trigger: 'agent-gone', excludeHost: null, reason: 'the agent was removed: its task is dead; releasing the volumes, then relaunching' } } },
  { id: 'M12', signal: 'TASK_UNREACHABLE', when: 'running', outcome: 'suspect', autoReplace: true,
    drive: async (r) => { await toRunning(r); update(r, 'TASK_UNREACHABLE'); },
    state: 'running.suspect.probation', context: { suspicion: { mesos: 'Mesos reports the task unreachable', portworx: null } } },
  { id: 'M13', signal: 'TASK_UNREACHABLE', when: 'launching', outcome: 'suspect', autoReplace: true,
    drive: async (r) => { await launching(r); update(r, 'TASK_UNREACHABLE'); }, state: 'running.suspect.probation' },
  { id: 'M14', signal: 'FAILURE {agent_id} (the runtime sends HOST_DOWN source mesos)', when: 'running', outcome: 'suspect', autoReplace: true,
    drive: async (r) => { await toRunning(r); mesosDown(r); },
    state: 'running.suspect.probation', context: { suspicion: { mesos: 'Mesos lost agent a1 (FAILURE)', portworx: null } } },
  { id: 'M15', signal: 'Portworx node OFFLINE (HOST_DOWN source portworx)', when: 'running', outcome: 'suspect', autoReplace: true,
    drive: async (r) => { await toRunning(r); pxDown(r); },
    state: 'running.suspect.probation', context: { suspicion: { mesos: null, portworx: 'Portworx node h1 is OFFLINE' } } },
  { id: 'M16', signal: 'evidence confirmed at the end of the probation (agent silent, node OFFLINE or agent unreachable)', when: 'probation', outcome: 'permanent', autoReplace: true,
    drive: async (r) => { await toRunning(r); pxDown(r); await confirm(r, true, 'the agent does not answer; Portworx node OFFLINE'); },
    state: 'failed.awaiting-slot', context: { needsFence: true, failure: { kind: 'permanent', trigger: 'host-down', excludeHost: 'h1', reason: 'host down: the agent does not answer; Portworx node OFFLINE' } } },
  { id: 'M17', signal: 'the agent answers at the end of the probation (task known running on a reachable agent)', when: 'probation', outcome: 'no action', autoReplace: true,
    drive: async (r) => { await toRunning(r); pxDown(r); await confirm(r, false, 'the agent answers GET_HEALTH'); },
    state: 'running.suspect.probation', context: { failure: null, needsFence: false } },
  { id: 'M18', signal: 'TASK_RUNNING from the agent', when: 'probation', outcome: 'no action', autoReplace: true,
    drive: async (r) => { await toRunning(r); update(r, 'TASK_UNREACHABLE'); r.clock.increment(9_000); update(r, 'TASK_RUNNING'); },
    state: 'running.up', context: { suspicion: { mesos: null, portworx: null }, ...noMove } },
  { id: 'M19', signal: 'HOST_UP: Portworx node back to OK / NONE (or STORAGE_DOWN / MAINTENANCE: alive)', when: 'probation', outcome: 'no action', autoReplace: true,
    drive: async (r) => { await toRunning(r); pxDown(r); r.clock.increment(3_000); r.actor.send({ type: 'HOST_UP', hostname: 'h1', source: 'portworx' }); },
    state: 'running.up', context: noMove },
  { id: 'M20', signal: 'Mesos UNREACHABLE + Portworx OFFLINE, then Portworx back', when: 'probation', outcome: 'suspect', autoReplace: true,
    drive: async (r) => { await toRunning(r); update(r, 'TASK_UNREACHABLE'); pxDown(r); r.actor.send({ type: 'HOST_UP', hostname: 'h1', source: 'portworx' }); },
    state: 'running.suspect.probation', context: { suspicion: { mesos: 'Mesos reports the task unreachable', portworx: null } } },
  { id: 'M21', signal: 'TASK_UNKNOWN (the master forgot a running task)', when: 'running', outcome: 'permanent', autoReplace: true,
    drive: async (r) => { await toRunning(r); update(r, 'TASK_UNKNOWN'); },
    state: 'failed.awaiting-slot', context: { needsFence: true } },
  { id: 'M22', signal: 'TASK_GONE_BY_OPERATOR (MARK_AGENT_GONE)', when: 'running', outcome: 'permanent', autoReplace: false,
    drive: async (r) => { await toRunning(r); update(r, 'TASK_GONE_BY_OPERATOR'); },
    state: 'failed.awaiting-slot', context: { needsFence: true } },
  { id: 'M23', signal: 'any permanent failure with auto_replace off', when: 'running', outcome: 'permanent', autoReplace: false,
    drive: async (r) => { await toRunning(r); pxDown(r); await confirm(r, true, 'the agent does not answer; Portworx node OFFLINE'); },
    state: 'failed.awaiting-replace' },
  { id: 'M24', signal: 'REPLACE_GRANTED (the governor\'s slot)', when: 'awaiting slot', outcome: 'permanent', autoReplace: true,
    drive: async (r) => { await toRunning(r); update(r, 'TASK_UNREACHABLE'); await confirm(r, true, 'the agent does not answer; Mesos: agent unreachable'); r.actor.send({ type: 'REPLACE_GRANTED' }); },
    state: 're-attaching.fencing', context: { replacing: true } },
  { id: 'M25', signal: 'TASK_RUNNING of the same task (the host came back before a slot)', when: 'awaiting slot', outcome: 'no action', autoReplace: true,
    drive: async (r) => { await toRunning(r); update(r, 'TASK_UNREACHABLE'); await confirm(r, true, 'down'); update(r, 'TASK_RUNNING'); },
    state: 'running.up', context: { failure: null, ...noMove } },
  { id: 'M26', signal: 'TASK_LOST', when: 'awaiting slot', outcome: 'release and relaunch', autoReplace: true,
    drive: async (r) => { await toRunning(r); update(r, 'TASK_UNREACHABLE'); await confirm(r, true, 'down'); update(r, 'TASK_LOST'); },
    state: 'failed.releasing', context: { replacing: false } },
  { id: 'M27', signal: 'TASK_UNKNOWN', when: 'stopping', outcome: 'ended', autoReplace: true,
    drive: async (r) => { await stopping(r); update(r, 'TASK_UNKNOWN'); }, state: 'stopping.releasing', context: { task: null } },
  { id: 'M28', signal: 'TASK_LOST / TASK_GONE / TASK_KILLED', when: 'stopping', outcome: 'ended', autoReplace: true,
    drive: async (r) => { await stopping(r); update(r, 'TASK_LOST'); }, state: 'stopping.releasing', context: { task: null } },
  { id: 'M29', signal: 'TASK_UNREACHABLE (a KILL the dead agent cannot answer)', when: 'stopping', outcome: 'no action', autoReplace: true,
    drive: async (r) => { await stopping(r); update(r, 'TASK_UNREACHABLE'); }, state: 'stopping.awaiting-terminal' },
  { id: 'M30', signal: 'HOST_DOWN while relaunching in place (restart)', when: 'relaunching', outcome: 'suspect', autoReplace: true,
    drive: async (r) => { await toRunning(r); r.actor.send({ type: 'RESTART' }); pxDown(r); }, state: 'running.suspect.probation' },
  { id: 'M31', signal: 'unhealthy attachment: launch failed (volume attached elsewhere) max_launch_failures times', when: 'launching', outcome: 'release and relaunch', autoReplace: false,
    drive: async (r) => {
      await r.effects.resolve('ensureVolumes', VOLUME_IDS);
      for (const t of ['t1', 't2', 't3']) {
        r.actor.send({ type: 'PLACE', taskId: t, agentId: 'a1', hostname: 'h1', offerId: 'o' });
        update(r, 'TASK_FAILED', { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: 'volume is attached on another node' }, t);
      }
    },
    state: 're-attaching.fencing', context: { replacing: false } },
  { id: 'M33', signal: 'TASK_UNKNOWN answering the kill of a launch that timed out (never reached TASK_RUNNING)', when: 'relaunching', outcome: 're-place', autoReplace: true,
    drive: async (r) => { await launching(r); r.clock.increment(60_000); await r.effects.resolve('killTask', { terminal: false }); update(r, 'TASK_UNKNOWN'); },
    state: 'volume-provisioned.awaiting-holder', context: { task: null, ...noMove } },
  { id: 'M32', signal: 'HOST_DOWN / TASK_UNREACHABLE about another host or an old task', when: 'running', outcome: 'no action', autoReplace: true,
    drive: async (r) => {
      await toRunning(r);
      r.actor.send({ type: 'HOST_DOWN', hostname: 'h9', source: 'portworx', reason: 'x' });
      update(r, 'TASK_UNREACHABLE', {}, 'old-task');
    },
    state: 'running.up' },
  { id: 'M35', signal: 'HOST_UP for the fenced host, every source (Mesos and Portworx have it back)', when: 'awaiting an offer after a replacement', outcome: 'readmit', autoReplace: true,
    drive: async (r) => { await replacedOffH1(r); r.actor.send({ type: 'HOST_UP', hostname: 'h1' }); },
    state: 'volume-provisioned.awaiting-holder', context: { excludeHosts: [], task: null, needsFence: false, replacing: true } },
  { id: 'M36', signal: 'HOST_UP for the fenced host from Portworx only, or for another host', when: 'awaiting an offer after a replacement', outcome: 'no action', autoReplace: true,
    drive: async (r) => {
      await replacedOffH1(r);
      r.actor.send({ type: 'HOST_UP', hostname: 'h1', source: 'portworx' });
      r.actor.send({ type: 'HOST_UP', hostname: 'h9' });
    },
    state: 'volume-provisioned.awaiting-holder', context: { excludeHosts: ['h1'], task: null } },
];

/** A running pod on h1 replaced after a confirmed host-down: fenced, waiting for an offer, h1 excluded. */
async function replacedOffH1(rig: PodRig): Promise<void> {
  await toRunning(rig);
  pxDown(rig);
  await confirm(rig, true, 'the agent does not answer; Portworx node OFFLINE');
  rig.actor.send({ type: 'REPLACE_GRANTED' });
  await rig.effects.resolve('fence');
  await rig.effects.resolve('checkVolumes', { replicaHosts: ['h1', 'h2'] });
}

function expectReason(state: string): string {
  return `task reported ${state}: its agent unregistered or was replaced; releasing the volumes, then relaunching`;
}


export function rowInput(row: ClassificationRow) {
  return podInput({ failurePolicy: { permanentFailureTimeoutMs: 120_000, autoReplace: row.autoReplace } });
}

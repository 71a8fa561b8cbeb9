/**
 * The real router and pod registry over an in-memory KV whose puts finish out of order: the rig of
 * the ACK-after-durable-write and restore-after-kill specifications.
 */
import { waitForPod } from '../../src/controller/pod-cell';
import { fromPromise } from 'xstate';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import type {
  CheckVolumesInput,
  CheckVolumesOutput,
  DisposeVolumesInput,
  EnsureVolumesInput,
  EnsureVolumesOutput,
  FenceInput,
  KillTaskInput,
  KillTaskOutput,
  PodInstanceContext,
  ReleaseVolumesInput,
} from '../../machines/pod-instance.types';
import type { SchedulerEvent, TaskStatus } from '../../src/mesos';
import type { RouterDeps } from '../../src/controller/mesos-router';
import { PodRegistry, type PodEntry, type PodRecord } from '../../src/controller/pod-registry';
import { StrayKiller } from '../../src/controller/stray-killer';
import { TaskTracker } from '../../src/controller/task-tracker';
import { TransitionLog } from '../../src/observe/transition-log';
import type { ServiceStateStore } from '../../src/state/state-store';
import { clusterOf, demoSpec, hosts, metrics, silentLogger } from './fixtures';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A KV bucket in memory whose puts take a while (a different time each): writes finish out of order. */
export class SlowKv {
  readonly data = new Map<string, { value: unknown; revision: number }>();
  private rev = 0;
  private turn = 0;

  async keys(prefix = ''): Promise<string[]> {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix));
  }
  async get(key: string) {
    return this.data.get(key);
  }
  async put(key: string, value: unknown, expected: number): Promise<number> {
    await sleep([7, 1, 13, 3, 0, 5][this.turn++ % 6] ?? 0);
    if ((this.data.get(key)?.revision ?? 0) !== expected) throw new Error(`unexpected revision for ${key}`);
    this.rev += 1;
    this.data.set(key, { value: structuredClone(value), revision: this.rev });
    return this.rev;
  }
  async delete(key: string) {
    this.data.delete(key);
  }
  /** The task state the pod's record in KV holds. */
  taskState(key: string): unknown {
    const rec = this.data.get(key)?.value as PodRecord | undefined;
    return (rec?.snapshot as { context?: PodInstanceContext } | undefined)?.context?.taskState;
  }
  asStore(): ServiceStateStore {
    return this as unknown as ServiceStateStore;
  }
}

function podMachine() {
  return podInstanceMachine.provide({
    actors: {
      ensureVolumes: fromPromise<EnsureVolumesOutput, EnsureVolumesInput>(async ({ input }) => ({
        volumes: input.volumes.map((v) => ({ name: v.name, id: `vol-${v.name}` })),
      })),
      killTask: fromPromise<KillTaskOutput, KillTaskInput>(async () => ({ terminal: true })),
      releaseVolumes: fromPromise<void, ReleaseVolumesInput>(async () => undefined),
      disposeVolumes: fromPromise<void, DisposeVolumesInput>(async () => undefined),
      fence: fromPromise<void, FenceInput>(async () => undefined),
      checkVolumes: fromPromise<CheckVolumesOutput, CheckVolumesInput>(async () => ({ replicaHosts: [] })),
    },
  });
}

export interface Ack {
  taskId: string;
  state: string;
  /** What KV held for the task's pod when the ACKNOWLEDGE went out. */
  inKv: unknown;
}

/** The real router and pod registry over a slow KV; the scheduler records each ACK with what KV held then. */
export function rig(count: number) {
  const kv = new SlowKv();
  const spec = demoSpec({ count });
  const logger = silentLogger();
  const registry = new PodRegistry({
    spec: () => spec,
    machine: podMachine(),
    store: kv.asStore(),
    logger,
    transitions: new TransitionLog(spec.name, logger),
    metrics: metrics(),
    onPodState: () => undefined,
  });
  const acks: Ack[] = [];
  const keyOf = new Map<string, string>();
  const kills: { after: number; resolve: (k: Killed) => void }[] = [];
  const deps: RouterDeps = {
    service: spec.name,
    scheduler: {
      markSubscribed: () => undefined,
      markDisconnected: () => false,
      acknowledge: async (status: TaskStatus) => {
        acks.push({ taskId: status.task_id.value, state: status.state, inKv: kv.taskState(keyOf.get(status.task_id.value) ?? '') });
        for (const k of kills) if (acks.length === k.after) k.resolve({ durable: new Map([...kv.data].map(([key, v]) => [key, structuredClone(v)])), acked: acks.map((a) => ({ ...a })) });
        return true;
      },
    },
    supervisor: { send: () => undefined, stateName: () => 'active(plans=deploying)' },
    cluster: clusterOf(hosts(3)),
    pods: { all: () => registry.all(), send: (e, ev) => registry.send(e, ev), byTask: (t) => registry.byTask(t), flush: (e) => registry.flush(e), context: (e) => registry.context(e) },
    tasks: new TaskTracker(),
    strays: new StrayKiller({ kill: async () => true, reachable: () => true, minIntervalMs: 30_000 }),
    offers: { handle: () => undefined },
    frameworkRemoved: () => undefined,
    metrics: metrics(),
    logger,
  };
  /** What a SIGKILL right after the `n`th ACK leaves: KV as it was then, and the ACKs sent. */
  const killAfterAck = (n: number) => new Promise<Killed>((resolve) => kills.push({ after: n, resolve }));
  return { kv, registry, deps, acks, keyOf, killAfterAck };
}

export interface Killed {
  durable: Map<string, { value: unknown; revision: number }>;
  acked: Ack[];
}

export async function placed(registry: PodRegistry, index: number): Promise<{ pod: PodEntry; taskId: string }> {
  const pod = registry.ensure('node', index);
  await waitForPod(pod.actor, (snap) => snap.hasTag(POD_TAGS.awaitingOffer), { timeout: 3_000 });
  const taskId = `demo__node-${index}__1-abcd0123`;
  registry.send(pod, { type: 'PLACE', taskId, agentId: `a${index}`, hostname: `h${index}`, offerId: `o${index}` });
  await registry.flush(pod);
  return { pod, taskId };
}

export function update(taskId: string, agent: string, state: string, uuid: string): SchedulerEvent {
  return { type: 'UPDATE', update: { status: { task_id: { value: taskId }, agent_id: { value: agent }, state, uuid } } } as unknown as SchedulerEvent;
}


import { describe, expect, it } from 'vitest';
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
  ReleaseVolumesInput,
} from '../../machines/pod-instance.types';
import { PersistQueue } from '../../src/controller/persist-queue';
import { PodRegistry, type PodEntry, type PodRecord } from '../../src/controller/pod-registry';
import { TransitionLog } from '../../src/observe/transition-log';
import { StateNotSavedError, StateUnavailableError } from '../../src/state/errors';
import type { ServiceStateStore } from '../../src/state/state-store';
import { demoSpec, metrics, silentLogger } from './fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

/** A KV bucket in memory that can be taken down (every put fails, as with NATS restarting). */
class KvInMemory {
  readonly data = new Map<string, { value: unknown; revision: number }>();
  down = false;
  private rev = 0;

  async keys(prefix = ''): Promise<string[]> {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix));
  }
  async get(key: string) {
    return this.data.get(key);
  }
  async put(key: string, value: unknown, expected: number): Promise<number> {
    await sleep(1);
    if (this.down) throw new StateUnavailableError('NATS is down');
    if ((this.data.get(key)?.revision ?? 0) !== expected) throw new Error(`unexpected revision for ${key}`);
    this.rev += 1;
    this.data.set(key, { value: structuredClone(value), revision: this.rev });
    return this.rev;
  }
  async delete(key: string) {
    this.data.delete(key);
  }
  /** The pod's state as KV has it. */
  podState(key: string): unknown {
    return ((this.data.get(key)?.value as PodRecord | undefined)?.snapshot as { value?: unknown } | undefined)?.value;
  }
  asStore(): ServiceStateStore {
    return this as unknown as ServiceStateStore;
  }
}

interface Kill {
  taskId: string;
  /** What KV held when the KILL started. */
  podInKv: unknown;
  frameworkInKv: unknown;
}

function rig() {
  const kv = new KvInMemory();
  const kills: Kill[] = [];
  const machine = podInstanceMachine.provide({
    actors: {
      ensureVolumes: fromPromise<EnsureVolumesOutput, EnsureVolumesInput>(async ({ input }) => ({
        volumes: input.volumes.map((v) => ({ name: v.name, id: `vol-${v.name}` })),
      })),
      killTask: fromPromise<KillTaskOutput, KillTaskInput>(async ({ input }) => {
        kills.push({ taskId: input.taskId, podInKv: kv.podState('pods.node.0'), frameworkInKv: kv.data.get('framework')?.value });
        return { terminal: true };
      }),
      releaseVolumes: fromPromise<void, ReleaseVolumesInput>(async () => undefined),
      disposeVolumes: fromPromise<void, DisposeVolumesInput>(async () => undefined),
      fence: fromPromise<void, FenceInput>(async () => undefined),
      checkVolumes: fromPromise<CheckVolumesOutput, CheckVolumesInput>(async () => ({ replicaHosts: [] })),
    },
  });
  const spec = demoSpec({ count: 1 });
  const state = { leading: true };
  const logger = silentLogger();
  const registry = new PodRegistry({
    spec: () => spec,
    machine,
    store: kv.asStore(),
    logger,
    transitions: new TransitionLog(spec.name, logger),
    metrics: metrics(),
    onPodState: () => undefined,
    leading: () => state.leading,
  });
  // The supervisor's queue, on the same store, as the runtime has it.
  const framework = new PersistQueue(kv.asStore(), logger, () => state.leading);
  return { kv, kills, registry, framework, state };
}

/** A pod whose task was launched (PLACE persisted, as the offer handler does before ACCEPT). */
async function launched(registry: PodRegistry): Promise<PodEntry> {
  const pod = registry.ensure('node', 0);
  await waitForPod(pod.actor, (snap) => snap.hasTag(POD_TAGS.awaitingOffer), { timeout: 3_000 });
  registry.send(pod, { type: 'PLACE', taskId: 'demo__node-0__1-abcd0123', agentId: 'a1', hostname: 'h1', offerId: 'o1' });
  await registry.flush(pod);
  expect(pod.actor.getSnapshot().matches('placed')).toBe(true);
  return pod;
}

describe('persist before acting: a decommission KILLs the task only once its intent is in KV', () => {
  it('does not KILL while the stopping record cannot be written, and KILLs once it is in KV', async () => {
    const { kv, kills, registry } = rig();
    const pod = await launched(registry);
    kv.down = true;

    registry.send(pod, { type: 'DECOMMISSION', volumes: 'retain' });
    await sleep(150);
    expect(pod.actor.getSnapshot().matches({ stopping: 'killing' })).toBe(true);
    expect(kills).toEqual([]);

    kv.down = false;
    await until('the KILL', () => kills.length === 1);
    expect(kills[0]!.podInKv).toEqual({ stopping: 'killing' });
    registry.stopAll();
    await registry.flushAll();
  });

  it('never KILLs for a pod stopped while its KILL waited for the write (stood down, uninstalled)', async () => {
    const { kv, kills, registry } = rig();
    const pod = await launched(registry);
    kv.down = true;
    registry.send(pod, { type: 'DECOMMISSION', volumes: 'retain' });
    await until('the pod is killing', () => pod.actor.getSnapshot().matches({ stopping: 'killing' }));
    registry.stopAll();
    kv.down = false;
    await registry.flushAll();
    await sleep(20);
    expect(kills).toEqual([]);
  });

  it('KILLs only after the supervisor write queued before the decommission (the scale) is in KV', async () => {
    const { kv, kills, registry, framework } = rig();
    const pod = await launched(registry);
    kv.down = true;

    framework.write('framework', { scale: 'node to 0' });
    registry.send(pod, { type: 'DECOMMISSION', volumes: 'retain' });
    await sleep(100);
    expect(kills).toEqual([]);

    kv.down = false;
    await until('the KILL', () => kills.length === 1);
    expect(kills[0]!.frameworkInKv).toEqual({ scale: 'node to 0' });
    registry.stopAll();
    await registry.flushAll();
  });

  it('never KILLs when the write is dropped because the scheduler lost the lease meanwhile', async () => {
    const { kv, kills, registry, state } = rig();
    const pod = await launched(registry);
    kv.down = true;

    registry.send(pod, { type: 'DECOMMISSION', volumes: 'retain' });
    await sleep(50);
    state.leading = false;
    // The bucket comes back only once the write was dropped: a put in flight when it came back could
    // land (on a loaded machine it did), and then the intent is in KV and the KILL rightly goes out.
    await registry.flush(pod).catch(() => undefined);
    kv.down = false;
    await sleep(300);

    // KV still says the task runs, and it does: a restore from KV matches what happened.
    expect(kills).toEqual([]);
    expect(kv.podState('pods.node.0')).toBe('placed');
    registry.stopAll();
  });

  it('registry.flush (before an ACCEPT or a status ACK) rejects when the write was dropped, instead of resolving', async () => {
    const { kv, registry, state } = rig();
    const pod = await launched(registry);
    kv.down = true;
    registry.send(pod, { type: 'TASK_UPDATE', taskId: 'demo__node-0__1-abcd0123', state: 'TASK_RUNNING', agentId: 'a1' });
    const flushed = registry.flush(pod).then(
      () => 'saved',
      (err: unknown) => err,
    );
    await sleep(50);
    // The lease goes first; the bucket comes back only once the write was dropped (a put in flight
    // when it came back could land: then the write was saved, and flush would rightly say so).
    state.leading = false;
    expect(await flushed).toBeInstanceOf(StateNotSavedError);
    kv.down = false;
    expect(kv.podState('pods.node.0')).toBe('placed');
    registry.stopAll();
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { createActor, fromPromise } from 'xstate';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import type { PodInstanceEvent } from '../../machines/pod-instance.types';
import { PodCell, PodStepper, type PodCellOwner, type PodSnapshot } from '../../src/controller/pod-cell';
import type { PodMachine } from '../../src/controller/persist-before-acting';
import { podInput } from '../machines/pod-harness';

/*
 * A pod at rest is a snapshot stepped purely; an actor runs only while an effect is in flight.
 * The cell must be indistinguishable from an actor: same states, same context, same timers.
 */

const VOLUMES = { volumes: [{ name: 'cassandra-node-1-data', id: 'v1' }, { name: 'cassandra-node-1-commitlog', id: 'v2' }] };

/** The pod machine with effects that settle on the next turn, each call counted. */
function machineWithEffects(calls: string[]): PodMachine {
  const effect = <T>(name: string, out: T) =>
    fromPromise(async () => {
      calls.push(name);
      return out;
    });
  return podInstanceMachine.provide({
    actors: {
      ensureVolumes: effect('ensureVolumes', VOLUMES),
      fence: effect('fence', undefined),
      checkVolumes: effect('checkVolumes', { replicaHosts: ['h2'] }),
      confirmHostDown: effect('confirmHostDown', { down: true, reason: 'agent does not answer' }),
      killTask: effect('killTask', { terminal: true }),
      releaseVolumes: effect('releaseVolumes', undefined),
      disposeVolumes: effect('disposeVolumes', undefined),
    } as never,
  }) as unknown as PodMachine;
}

function newCell(machine: PodMachine, seen: string[] = []) {
  const input = podInput();
  const live: unknown[] = [];
  const owner: PodCellOwner<string> = {
    next: (_key, snap, ev) => seen.push(`${ev}:${JSON.stringify(snap.value)}`),
    error: (_key, err) => {
      throw err;
    },
    live: (_key, a) => live.push(a),
    input: () => input,
  };
  const cell = new PodCell(new PodStepper(machine, input), owner, 'node-1', undefined, 'pod');
  return { cell, live };
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(0);
};

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a pod at rest', () => {
  it('runs an actor only while an effect is in flight, and rests once it is done', async () => {
    const calls: string[] = [];
    const { cell } = newCell(machineWithEffects(calls));
    expect(cell.isLive).toBe(true); // provisioning volumes: ensureVolumes in flight
    await settle();
    expect(calls).toEqual(['ensureVolumes']);
    expect(cell.getSnapshot().hasTag(POD_TAGS.awaitingOffer)).toBe(true);
    expect(cell.isLive).toBe(false);

    cell.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o1' });
    cell.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_RUNNING', agentId: 'a1' });
    expect(cell.getSnapshot().matches({ running: 'up' })).toBe(true);
    expect(cell.isLive).toBe(false);

    // A lost task owes a release of its volumes: an effect, so an actor again, then rest.
    cell.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_LOST', agentId: 'a1' });
    expect(cell.isLive).toBe(true);
    await settle();
    expect(calls).toEqual(['ensureVolumes', 'fence']);
    expect(cell.isLive).toBe(false);
  });

  it('keeps its timers while at rest: a launch that never reports running times out', async () => {
    const { cell } = newCell(machineWithEffects([]));
    await settle();
    cell.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o1' });
    expect(cell.getSnapshot().matches('placed')).toBe(true);
    expect(cell.isLive).toBe(false);
    await vi.advanceTimersByTimeAsync(podInput().timing!.launchTimeoutMs! + 1);
    await settle();
    expect(cell.getSnapshot().matches('placed')).toBe(false);
    expect(cell.lastEvent()).not.toBe('PLACE');
  });

  it('waits out a relaunch delay at rest', async () => {
    const { cell } = newCell(machineWithEffects([]));
    await settle();
    cell.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o1' });
    cell.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_RUNNING', agentId: 'a1' });
    cell.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_FAILED', agentId: 'a1' });
    // Failed in place: waiting out the relaunch delay (a timer) at rest.
    expect(cell.getSnapshot().hasTag(POD_TAGS.relaunching)).toBe(true);
    expect(cell.isLive).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(cell.getSnapshot().hasTag(POD_TAGS.awaitingOffer)).toBe(true);
  });

  it('starting an actor tells nothing new: the first snapshot heard is the event that needed it', async () => {
    const seen: string[] = [];
    const { cell } = newCell(machineWithEffects([]), seen);
    await settle();
    cell.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o1' });
    cell.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_RUNNING', agentId: 'a1' });
    seen.length = 0;
    cell.send({ type: 'RESTART' }); // kills the task: an effect, so an actor
    expect(cell.isLive).toBe(true);
    expect(seen[0]).toMatch(/^RESTART:/);
    expect(seen.some((s) => s.startsWith('xstate.init'))).toBe(false);
    await settle();
  });

  it('takes an event sent by whoever hears a snapshot after that snapshot is told to everyone, in order', async () => {
    const { cell } = newCell(machineWithEffects([]));
    await settle();
    const order: string[] = [];
    cell.subscribe((snap) => {
      if (snap.matches('placed')) cell.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_RUNNING', agentId: 'a1' });
    });
    cell.subscribe((snap) => order.push(JSON.stringify(snap.value)));
    cell.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o1' });
    expect(order).toEqual(['"placed"', '{"running":"up"}']);
  });

  it('takes no event once stopped, and says so', async () => {
    const { cell } = newCell(machineWithEffects([]));
    await settle();
    cell.stop();
    cell.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o1' });
    expect(cell.status).toBe('stopped');
    expect(cell.getSnapshot().status).toBe('stopped');
    expect(cell.getSnapshot().hasTag(POD_TAGS.awaitingOffer)).toBe(true);
  });

  it('restores from a persisted record with the same state and context, at rest', async () => {
    const { cell } = newCell(machineWithEffects([]));
    await settle();
    cell.send({ type: 'PLACE', taskId: 't1', agentId: 'a1', hostname: 'h1', offerId: 'o1' });
    cell.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_RUNNING', agentId: 'a1' });
    const persisted = JSON.parse(JSON.stringify(cell.getPersistedSnapshot()));
    const machine = machineWithEffects([]);
    const input = podInput();
    const owner: PodCellOwner<string> = { next: () => {}, error: () => {}, live: () => {}, input: () => input };
    const restored = new PodCell(new PodStepper(machine, input), owner, 'node-1', persisted, 'pod');
    expect(restored.isLive).toBe(false);
    expect(restored.getSnapshot().value).toEqual(cell.getSnapshot().value);
    expect(restored.getSnapshot().context).toEqual(cell.getSnapshot().context);
  });
});

const json = (v: unknown) => JSON.parse(JSON.stringify(v));
const hosts = ['h1', 'h2'] as const;
const eventArb: fc.Arbitrary<PodInstanceEvent | { type: 'WAIT'; ms: number }> = fc.oneof(
  fc.constantFrom(1, 2).map((n) => ({ type: 'PLACE' as const, taskId: `t${n}`, agentId: `a${n}`, hostname: hosts[n - 1]!, offerId: `o${n}` })),
  fc.record({
    type: fc.constant('TASK_UPDATE' as const),
    taskId: fc.constantFrom('t1', 't2'),
    state: fc.constantFrom('TASK_RUNNING', 'TASK_FAILED', 'TASK_LOST', 'TASK_UNREACHABLE', 'TASK_KILLED', 'TASK_FINISHED', 'TASK_UNKNOWN'),
    agentId: fc.constantFrom('a1', 'a2'),
  }) as fc.Arbitrary<PodInstanceEvent>,
  fc.record({ type: fc.constant('HOST_DOWN' as const), hostname: fc.constantFrom(...hosts), source: fc.constantFrom('mesos', 'portworx'), reason: fc.constant('offline') }) as fc.Arbitrary<PodInstanceEvent>,
  fc.record({ type: fc.constant('HOST_UP' as const), hostname: fc.constantFrom(...hosts) }),
  fc.record({ type: fc.constant('AGENT_GONE' as const), agentId: fc.constantFrom('a1', 'a2') }),
  fc.constantFrom<PodInstanceEvent>({ type: 'RESUMED' }, { type: 'RESTART' }, { type: 'REPLACE' }, { type: 'REPLACE_GRANTED' }, { type: 'RETRY' }, { type: 'STOP' }, { type: 'START' }),
  fc.constantFrom(1, 500, 5_000, 60_000, 400_000).map((ms) => ({ type: 'WAIT' as const, ms })),
);

describe('a cell and an actor', () => {
  it('go through the same states with the same context for any events and waits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(eventArb, fc.boolean()), { maxLength: 25 }), async (steps) => {
        const cellCalls: string[] = [];
        const actorCalls: string[] = [];
        const { cell } = newCell(machineWithEffects(cellCalls));
        const actor = createActor(machineWithEffects(actorCalls), { input: podInput() }).start();
        const view = (s: PodSnapshot | ReturnType<typeof actor.getSnapshot>) => ({ value: s.value, context: s.context, status: s.status });
        await settle();
        // An event may come while an effect is still in flight (no settle in between).
        for (const [ev, settleAfter] of steps) {
          if (ev.type === 'WAIT') await vi.advanceTimersByTimeAsync(ev.ms);
          else {
            cell.send(ev);
            actor.send(ev);
          }
          if (settleAfter) await settle();
          expect(view(cell.getSnapshot())).toEqual(view(actor.getSnapshot()));
          // The record written to KV is the one the actor's snapshot would make.
          expect(json(cell.getPersistedSnapshot())).toEqual(json(actor.getPersistedSnapshot()));
        }
        expect(cellCalls).toEqual(actorCalls);
        cell.stop();
        actor.stop();
      }),
      { numRuns: 60, seed: 1207 },
    );
  });
});

import { createActor, fromPromise, toPromise, type AnyActorLogic, type AnyActorRef } from 'xstate';
import type { DisposeVolumesInput, KillTaskInput, KillTaskOutput } from '../../machines/pod-instance.types';
import type { podInstanceMachine } from '../../machines/pod-instance.machine';
import { migratePodSnapshot } from '../../machines/pod-instance.migrate';

/** The pod machine with its effects provided (what the registry runs). */
export type PodMachine = ReturnType<typeof podInstanceMachine.provide>;

/**
 * The pod effects that destroy something a restore from KV could not bring back: the KILL of a
 * task, and deleting a decommissioned pod's volumes.
 */
export const DESTRUCTIVE_POD_EFFECTS = ['killTask', 'disposeVolumes'] as const;

/** The systemId the registry gives each pod actor, so that its effects can find their pod. */
export const POD_SYSTEM_ID = 'pod';

/** Resolves once it is safe for the pod (the actor) to act; rejects when it never will be. */
export type DestructiveBarrier = (pod: AnyActorRef | undefined) => Promise<void>;

/**
 * `logic` run only once `barrier` resolved. The original runs as its own actor with the same
 * input (the pod effects read nothing else) and is stopped if the pod leaves the state first.
 */
function gated<O, I>(logic: AnyActorLogic, barrier: DestructiveBarrier) {
  return fromPromise<O, I>(async ({ input, system, signal }) => {
    await barrier(system.get(POD_SYSTEM_ID) as AnyActorRef | undefined);
    // The pod may have been stopped (removed, stood down, uninstalled) while it waited: never act then.
    signal.throwIfAborted();
    const effect = createActor(logic, { input });
    signal.addEventListener('abort', () => effect.stop(), { once: true });
    effect.start();
    const output: O = await toPromise(effect);
    return output;
  });
}

/**
 * Persist before acting, for the pod's destructive effects: the effect starts only once `barrier`
 * (given the pod actor) resolved, i.e. the pod's new state (e.g. `stopping` of a decommission)
 * and every state write queued before it (the supervisor's scale) are in KV. A barrier that
 * rejects (the write was dropped: we stopped leading) fails the effect, which never ran.
 */
export function gateDestructiveEffects(machine: PodMachine, barrier: DestructiveBarrier): PodMachine {
  const given = machine.implementations.actors;
  const kill = logicOf(given.killTask);
  const dispose = logicOf(given.disposeVolumes);
  const gatedMachine = machine.provide({
    actors: {
      ...(kill ? { killTask: gated<KillTaskOutput, KillTaskInput>(kill, barrier) } : {}),
      ...(dispose ? { disposeVolumes: gated<void, DisposeVolumesInput>(dispose, barrier) } : {}),
    },
  });
  // provide() makes a new machine: keep the snapshot migration of the runtime's pod machine.
  const restore = gatedMachine.restoreSnapshot;
  gatedMachine.restoreSnapshot = (snapshot, scope) => restore(migratePodSnapshot(snapshot), scope);
  return gatedMachine;
}

function logicOf(impl: AnyActorLogic | { src: AnyActorLogic } | undefined): AnyActorLogic | undefined {
  if (!impl) return undefined;
  return 'src' in impl ? impl.src : impl;
}

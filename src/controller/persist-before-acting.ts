import { fromPromise, type AnyActorRef } from 'xstate';
import { migratePodSnapshot } from '../../machines/pod-instance.migrate';
import type { PodMachine } from './pod-registry';

/**
 * The pod effects that destroy something a restore from KV could not bring back: the KILL of a
 * task, and deleting a decommissioned pod's volumes.
 */
export const DESTRUCTIVE_POD_EFFECTS = ['killTask', 'disposeVolumes'] as const;

/** The systemId the registry gives each pod actor, so that its effects can find their pod. */
export const POD_SYSTEM_ID = 'pod';

type PromiseCreator = (args: { input: unknown; system: { get(id: string): unknown }; self: AnyActorRef; signal: AbortSignal; emit: unknown }) => PromiseLike<unknown>;

/**
 * Persist before acting, for the pod's destructive effects: the effect starts only once `barrier`
 * (given the pod actor) resolved, i.e. the pod's new state (e.g. `stopping` of a decommission)
 * and every state write queued before it (the supervisor's scale) are in KV. A barrier that
 * rejects (the write was dropped: we stopped leading) fails the effect, which never ran.
 */
export function gateDestructiveEffects(machine: PodMachine, barrier: (pod: AnyActorRef | undefined) => Promise<void>): PodMachine {
  const actors: Record<string, unknown> = {};
  for (const name of DESTRUCTIVE_POD_EFFECTS) {
    const logic = machine.implementations.actors[name] as { config?: PromiseCreator } | undefined;
    const run = logic?.config;
    if (typeof run !== 'function') continue;
    actors[name] = fromPromise(async (args) => {
      await barrier(args.system.get(POD_SYSTEM_ID) as AnyActorRef | undefined);
      return run(args as Parameters<PromiseCreator>[0]);
    });
  }
  const gated = machine.provide({ actors } as never) as PodMachine;
  // provide() makes a new machine: keep the snapshot migration of the runtime's pod machine.
  const restore = gated.restoreSnapshot;
  gated.restoreSnapshot = (snapshot, scope) => restore(migratePodSnapshot(snapshot), scope);
  return gated;
}

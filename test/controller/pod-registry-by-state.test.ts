import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromPromise } from 'xstate';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import type { CheckVolumesInput, CheckVolumesOutput, EnsureVolumesInput, EnsureVolumesOutput, KillTaskInput, KillTaskOutput } from '../../machines/pod-instance.types';
import { PodRegistry } from '../../src/controller/pod-registry';
import { TransitionLog } from '../../src/observe/transition-log';
import { MemoryKv } from '../helpers/memory-kv';
import { demoSpec, metrics, silentLogger } from './fixtures';

const machine = podInstanceMachine.provide({
  actors: {
    ensureVolumes: fromPromise<EnsureVolumesOutput, EnsureVolumesInput>(async ({ input }) => ({ volumes: input.volumes.map((v) => ({ name: v.name, id: `vol-${v.name}` })) })),
    killTask: fromPromise<KillTaskOutput, KillTaskInput>(async () => ({ terminal: true })),
    checkVolumes: fromPromise<CheckVolumesOutput, CheckVolumesInput>(async () => ({ replicaHosts: [] })),
  },
});

const PODS = 4;
const STATES = ['pending', 'volume-provisioned', 'placed', 'running', 'failed', 're-attaching', 'stopping', 'decommissioned'];

type Op =
  | { kind: 'ensure' | 'place' | 'run' | 'fail' | 'remove'; pod: number }
  | { kind: 'settle' }
  | { kind: 'clear' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('ensure', 'place', 'run', 'fail', 'remove' as const), pod: fc.integer({ min: 0, max: PODS - 1 }) }) as fc.Arbitrary<Op>,
  fc.constant<Op>({ kind: 'settle' }),
  fc.constant<Op>({ kind: 'clear' }),
);

/** What a scan of every pod says is in each top-level state: the reference inState is checked against. */
function scanned(registry: PodRegistry, state: string): string[] {
  return registry
    .all()
    .filter((e) => e.state.split('.')[0] === state)
    .map((e) => e.name)
    .sort();
}

describe('the pod registry keeps its pods by top-level state', () => {
  it('inState(s) always names exactly the pods a scan of every pod finds in s, through launches, failures, removals and a stand-down', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const spec = demoSpec({ count: PODS });
        const logger = silentLogger();
        const registry = new PodRegistry({ spec: () => spec, machine, store: new MemoryKv().asStore(), logger, transitions: new TransitionLog(spec.name, logger), metrics: metrics(), onPodState: () => undefined });
        const check = (): void => {
          for (const s of [...STATES, ...new Set(registry.all().map((e) => e.state.split('.')[0]!))]) {
            expect(registry.inState(s).map((e) => e.name).sort(), `pods in ${s}`).toEqual(scanned(registry, s));
          }
        };
        for (const o of ops) {
          const entry = 'pod' in o ? registry.get(`node-${o.pod}`) : undefined;
          const task = entry ? registry.context(entry).task : undefined;
          if (o.kind === 'ensure') registry.ensure('node', o.pod);
          else if (o.kind === 'place' && entry) registry.send(entry, { type: 'PLACE', taskId: `demo__node-${o.pod}__${entry.attempt + 1}-abcd0123`, agentId: `a${o.pod}`, hostname: `h${o.pod}`, offerId: `o${o.pod}` });
          else if ((o.kind === 'run' || o.kind === 'fail') && entry && task) registry.send(entry, { type: 'TASK_UPDATE', taskId: task.taskId, state: o.kind === 'run' ? 'TASK_RUNNING' : 'TASK_FAILED', agentId: `a${o.pod}` });
          else if (o.kind === 'remove' && entry) await registry.remove(entry);
          else if (o.kind === 'clear') registry.clear();
          else if (o.kind === 'settle') await new Promise((r) => setTimeout(r, 5));
          check();
        }
        await new Promise((r) => setTimeout(r, 5));
        check();
        registry.stopAll();
      }),
      { numRuns: 40, seed: 1207 },
    );
  });
});

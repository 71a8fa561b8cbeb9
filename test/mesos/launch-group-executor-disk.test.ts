import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EXECUTOR_RESOURCES,
  MesosInsufficientResourcesError,
  launchGroupOperation,
  offerScalar,
  type Offer,
  type OfferOperation,
  type Resource,
} from '../../src/mesos';

/*
 * Found by test/integration/mesos-client-sim.test.ts: the Mesos master refuses a task group
 * whose DEFAULT executor has no disk (TASK_ERROR "Executor '…' uses no disk",
 * apache/mesos src/master/validation.cpp), so the builder must always give it some.
 */

const ROLE = 'pxfw';
const scalar = (name: string, value: number): Resource => ({
  name,
  type: 'SCALAR',
  scalar: { value },
  allocation_info: { role: ROLE },
});

function offer(resources: Resource[]): Offer {
  return { id: { value: 'o-1' }, framework_id: { value: 'fw-1' }, agent_id: { value: 'a-1' }, hostname: 'agent-1', resources };
}

function executorOf(op: OfferOperation) {
  if (op.type !== 'LAUNCH_GROUP') throw new Error(`expected a LAUNCH_GROUP operation, got ${op.type}`);
  return op.launch_group.executor;
}

const task = { taskId: 't-1', name: 't', cpus: 1, mem: 256, command: 'sleep 1', volumes: [] };

describe('launchGroupOperation: the DEFAULT executor always has disk', () => {
  it('gives the executor the default disk when the caller names none', () => {
    const op = launchGroupOperation({
      offer: offer([scalar('cpus', 2), scalar('mem', 1024), scalar('disk', 100)]),
      executorId: 'e-1',
      frameworkId: 'fw-1',
      role: ROLE,
      tasks: [task],
    });
    const executor = executorOf(op);
    expect(offerScalar({ resources: executor.resources }, 'disk')).toBe(DEFAULT_EXECUTOR_RESOURCES.disk);
    expect(DEFAULT_EXECUTOR_RESOURCES.disk).toBeGreaterThan(0);
  });

  it('uses the disk the caller asks for', () => {
    const op = launchGroupOperation({
      offer: offer([scalar('cpus', 2), scalar('mem', 1024), scalar('disk', 100)]),
      executorId: 'e-1',
      frameworkId: 'fw-1',
      role: ROLE,
      tasks: [task],
      executor: { disk: 64 },
    });
    expect(offerScalar({ resources: executorOf(op).resources }, 'disk')).toBe(64);
  });

  it('refuses an offer without disk for the executor rather than building a group Mesos rejects', () => {
    expect(() =>
      launchGroupOperation({
        offer: offer([scalar('cpus', 2), scalar('mem', 1024)]),
        executorId: 'e-1',
        frameworkId: 'fw-1',
        role: ROLE,
        tasks: [task],
      }),
    ).toThrow(MesosInsufficientResourcesError);
  });
});

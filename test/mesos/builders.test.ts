import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import {
  MesosInsufficientResourcesError,
  attributeValue,
  faultDomainOf,
  launchGroupOperation,
  offerHasPorts,
  offerRanges,
  offerScalar,
  rackOf,
  topologyOf,
  type LaunchTaskSpec,
  type Offer,
  type Resource,
} from '../../src/mesos';
import { protoViolations } from './helpers/proto-check';

const ROLE = 'cassandra-role';
const alloc = { allocation_info: { role: ROLE } };

const scalar = (name: string, value: number, extra: Partial<Resource> = {}): Resource => ({
  name,
  type: 'SCALAR',
  scalar: { value },
  ...alloc,
  ...extra,
});

function offer(resources: Resource[] = []): Offer {
  return {
    id: { value: 'offer-1' },
    framework_id: { value: 'fw-1' },
    agent_id: { value: 'agent-1' },
    hostname: 'node-1',
    allocation_info: { role: ROLE },
    domain: { fault_domain: { region: { name: 'eu-west' }, zone: { name: 'eu-west-1a' } } },
    attributes: [
      { name: 'rack', type: 'TEXT', text: { value: 'rack-2' } },
      { name: 'ssd', type: 'SCALAR', scalar: { value: 1 } },
    ],
    resources: resources.length
      ? resources
      : [
          scalar('cpus', 4),
          scalar('mem', 8192),
          scalar('disk', 10240),
          { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31010 }] }, ...alloc },
        ],
  };
}

const node = (taskId: string, extra: Partial<LaunchTaskSpec> = {}): LaunchTaskSpec => ({
  taskId,
  name: 'node',
  cpus: 1,
  mem: 2048,
  command: './bin/cassandra -f',
  volumes: [
    { containerPath: 'data', name: 'pxfw-cassandra-node-0-data', driverOptions: { size: '10', repl: '3' } },
  ],
  ...extra,
});

function launch(o: Offer, tasks: LaunchTaskSpec[]) {
  return launchGroupOperation({ offer: o, executorId: 'exec-node-0', frameworkId: 'fw-1', role: ROLE, tasks });
}

describe('launchGroupOperation', () => {
  it('builds a LAUNCH_GROUP under a DEFAULT executor with no command and at least 0.01 cpus / 32 MB', () => {
    const op = launch(offer(), [node('node-0__1')]);
    expect(op.type).toBe('LAUNCH_GROUP');
    if (op.type !== 'LAUNCH_GROUP') return;
    const { executor } = op.launch_group;
    expect(executor.type).toBe('DEFAULT');
    expect(executor.command).toBeUndefined();
    expect(executor.executor_id).toEqual({ value: 'exec-node-0' });
    expect(executor.framework_id).toEqual({ value: 'fw-1' });
    expect(offerScalar({ resources: executor.resources }, 'cpus')).toBeGreaterThanOrEqual(0.01);
    expect(offerScalar({ resources: executor.resources }, 'mem')).toBeGreaterThanOrEqual(32);
  });

  it('runs each task in a MESOS container with its pxd volumes as DOCKER_VOLUME sources', () => {
    const op = launch(offer(), [node('node-0__1', { env: { CLUSTER: 'c1' }, image: 'cassandra:3.11' })]);
    if (op.type !== 'LAUNCH_GROUP') throw new Error('not LAUNCH_GROUP');
    const task = op.launch_group.task_group.tasks![0]!;
    expect(task.agent_id).toEqual({ value: 'agent-1' });
    expect(task.executor).toBeUndefined();
    expect(task.command).toEqual({
      value: './bin/cassandra -f',
      shell: true,
      environment: { variables: [{ name: 'CLUSTER', value: 'c1' }] },
    });
    expect(task.container).toEqual({
      type: 'MESOS',
      mesos: { image: { type: 'DOCKER', docker: { name: 'cassandra:3.11' } } },
      volumes: [
        {
          container_path: 'data',
          mode: 'RW',
          source: {
            type: 'DOCKER_VOLUME',
            docker_volume: {
              driver: 'pxd',
              name: 'pxfw-cassandra-node-0-data',
              driver_options: { parameter: [{ key: 'size', value: '10' }, { key: 'repl', value: '3' }] },
            },
          },
        },
      ],
    });
  });

  it('gives every resource the allocation_info of the offer, and keeps reservations', () => {
    const reserved = offer([
      scalar('cpus', 1, { role: ROLE, reservation: { principal: 'p' } }),
      scalar('cpus', 4),
      scalar('mem', 4096),
      scalar('disk', 100),
    ]);
    const op = launch(reserved, [node('t1', { cpus: 1.5, mem: 1024 })]);
    if (op.type !== 'LAUNCH_GROUP') throw new Error('not LAUNCH_GROUP');
    const all = [...op.launch_group.executor.resources!, ...op.launch_group.task_group.tasks![0]!.resources!];
    for (const r of all) expect(r.allocation_info).toEqual({ role: ROLE });
    // The executor takes the first 0.1 cpus from the reserved piece; the task the rest of it, then unreserved.
    const taskCpus = op.launch_group.task_group.tasks![0]!.resources!.filter((r) => r.name === 'cpus');
    expect(taskCpus.map((r) => [r.scalar!.value, r.reservation ? 'reserved' : 'unreserved'])).toEqual([
      [0.9, 'reserved'],
      [0.6, 'unreserved'],
    ]);
  });

  it('carves the requested ports out of the offered ranges', () => {
    const op = launch(offer(), [node('t1', { ports: [31002, 31000] }), node('t2', { ports: [31005] })]);
    if (op.type !== 'LAUNCH_GROUP') throw new Error('not LAUNCH_GROUP');
    const ports = op.launch_group.task_group.tasks!.map((t) => t.resources!.find((r) => r.name === 'ports')!.ranges);
    expect(ports).toEqual([
      { range: [{ begin: 31000, end: 31000 }, { begin: 31002, end: 31002 }] },
      { range: [{ begin: 31005, end: 31005 }] },
    ]);
  });

  it('produces an ACCEPT call that validates strictly against the Mesos protos', () => {
    const op = launch(offer(), [node('t1', { disk: 512, ports: [31001], labels: { pod: 'node-0' } }), node('t2')]);
    const call = { type: 'ACCEPT', framework_id: { value: 'fw-1' }, accept: { offer_ids: [{ value: 'offer-1' }], operations: [op] } };
    expect(protoViolations('mesos.scheduler.Call', call)).toEqual([]);
  });

  it('refuses an offer that is too small, naming what is missing', () => {
    const small = [scalar('cpus', 1), scalar('mem', 4096), scalar('disk', 100)];
    expect(() => launch(offer(small), [node('t1')])).toThrow(MesosInsufficientResourcesError);
    expect(() => launch(offer(small), [node('t1')])).toThrow(/lacks 0.1 cpus for task t1/);
    expect(() => launch(offer(), [node('t1', { ports: [40000] })])).toThrow(/port 40000/);
    expect(() => launch(offer(), [node('t1', { ports: [31000] }), node('t2', { ports: [31000] })])).toThrow(/port 31000/);
  });

  it('ignores resources allocated to another role, revocable ones and persistent disks', () => {
    const o = offer([
      scalar('cpus', 8, { allocation_info: { role: 'other' } }),
      scalar('cpus', 8, { revocable: {} }),
      scalar('disk', 1000, { disk: { persistence: { id: 'p' } } }),
      scalar('cpus', 0.5),
      scalar('mem', 4096),
    ]);
    expect(offerScalar(o, 'cpus', ROLE)).toBe(0.5);
    expect(offerScalar(o, 'disk', ROLE)).toBe(0);
    expect(() => launch(o, [node('t1')])).toThrow(MesosInsufficientResourcesError);
  });

  it('rejects malformed specs naming the field path', () => {
    expect(() => launch(offer(), [])).toThrow(ValidationError);
    expect(() => launch(offer(), [node('t1'), node('t1')])).toThrow(/task ids must be unique/);
    expect(() => launch(offer(), [node('t1', { cpus: 0 })])).toThrow(/launch group\.tasks\[0\]\.cpus/);
    expect(() =>
      launchGroupOperation({
        offer: offer(),
        executorId: 'e',
        frameworkId: 'fw',
        role: ROLE,
        tasks: [node('t1')],
        executor: { cpus: 0.001 },
      }),
    ).toThrow(/executor\.cpus/);
  });
});

describe('offer and agent readers', () => {
  it('sums scalars and lists port ranges', () => {
    const o = offer();
    expect(offerScalar(o, 'cpus')).toBe(4);
    expect(offerScalar(o, 'mem')).toBe(8192);
    expect(offerScalar(o, 'gpus')).toBe(0);
    expect(offerRanges(o)).toEqual([{ begin: 31000, end: 31010 }]);
    expect(offerHasPorts(o, [31000, 31010])).toBe(true);
    expect(offerHasPorts(o, [31011])).toBe(false);
  });

  it('reads the rack attribute, the fault domain and the whole topology', () => {
    const o = offer();
    expect(rackOf(o)).toBe('rack-2');
    expect(attributeValue(o.attributes, 'ssd')).toBe('1');
    expect(attributeValue(o.attributes, 'missing')).toBeUndefined();
    expect(faultDomainOf(o)).toEqual({ region: 'eu-west', zone: 'eu-west-1a' });
    expect(topologyOf(o)).toEqual({ hostname: 'node-1', rack: 'rack-2', zone: 'eu-west-1a', region: 'eu-west' });
    expect(topologyOf({ hostname: 'bare' })).toEqual({ hostname: 'bare' });
  });
});

import { describe, expect, it } from 'vitest';
import { CONFIG_ID_LABEL, buildTaskGroup, choosePorts, type TaskGroupInput } from '../../src/mesos/task-group';
import type { CheckedTaskInfo } from '../../src/mesos/builders';
import type { Offer, OfferOperation, Resource } from '../../src/mesos';
import { parseSpec } from '../../src/service-spec';
import { protoViolations } from './helpers/proto-check';

const scalar = (name: string, value: number): Resource => ({ name, type: 'SCALAR', scalar: { value }, allocation_info: { role: '*' } });

function offer(): Offer {
  return {
    id: { value: 'offer-1' },
    framework_id: { value: 'fw-1' },
    agent_id: { value: 'agent-1' },
    hostname: 'h1',
    allocation_info: { role: '*' },
    resources: [
      scalar('cpus', 8),
      scalar('mem', 32_768),
      scalar('disk', 100_000),
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 9042, end: 9042 }, { begin: 31000, end: 31010 }] }, allocation_info: { role: '*' } },
    ],
  } as Offer;
}

const SPEC = `
name: db
pods:
  node:
    count: 3
    cpus: 1
    mem: 1024
    command: run-db
    ports:
      - name: native
        port: 9042
      - name: http
    volumes:
      - {name: data, path: /var/lib/db, size: 10, repl: 2}
      - {name: meta-data, path: /var/lib/meta, size: 1, repl: 3}
    health_check:
      http: {port: http, path: /health}
      delay: 5
      interval: 3
      timeout: 2
      grace_period: 30
      consecutive_failures: 4
    readiness_check:
      command: nodetool status | grep -q "^UN  $PXFW_POD"
      delay: 1
      interval: 2
      timeout: 10
`;

function input(over: Partial<TaskGroupInput> = {}): TaskGroupInput {
  return {
    spec: parseSpec(SPEC),
    pod: { podType: 'node', index: 1, name: 'node-1' },
    taskId: 'db__node-1__1-0123abcd',
    frameworkId: 'fw-1',
    offer: offer(),
    offerPorts: [{ begin: 9042, end: 9042 }, { begin: 31000, end: 31010 }],
    volumes: [{ name: 'db-node-1-data' }, { name: 'db-node-1-meta-data' }],
    configId: 'a1b2c3d4e5f6',
    ...over,
  };
}

function taskOf(op: OfferOperation): CheckedTaskInfo {
  if (op.type !== 'LAUNCH_GROUP') throw new Error(`expected LAUNCH_GROUP, got ${op.type}`);
  return op.launch_group.task_group.tasks![0]!;
}

describe('buildTaskGroup (pure: spec, pod, offer, config id → LAUNCH_GROUP)', () => {
  it('is pure: the same input gives the same operation', () => {
    expect(buildTaskGroup(input())).toEqual(buildTaskGroup(input()));
  });

  it('sends the health check as mesos.proto HealthCheck, the named port resolved to the offer port the task holds', () => {
    const task = taskOf(buildTaskGroup(input()));
    expect(task.health_check).toEqual({
      type: 'HTTP',
      http: { port: 31000, path: '/health' },
      delay_seconds: 5,
      interval_seconds: 3,
      timeout_seconds: 2,
      consecutive_failures: 4,
      grace_period_seconds: 30,
    });
  });

  it('sends the readiness check as CheckInfo (COMMAND wraps CommandInfo; no grace period or failure count) with the task environment', () => {
    const check = taskOf(buildTaskGroup(input())).check!;
    expect(check).toMatchObject({ type: 'COMMAND', delay_seconds: 1, interval_seconds: 2, timeout_seconds: 10 });
    expect(check.command?.command).toMatchObject({ value: 'nodetool status | grep -q "^UN  $PXFW_POD"', shell: true });
    expect(check.command?.command.environment?.variables).toContainEqual({ name: 'PXFW_POD', value: 'node-1' });
    expect(check).not.toHaveProperty('grace_period_seconds');
    expect(check).not.toHaveProperty('consecutive_failures');
  });

  it('labels the task with its config id, service and pod', () => {
    const labels = taskOf(buildTaskGroup(input())).labels?.labels;
    expect(labels).toEqual(
      expect.arrayContaining([
        { key: CONFIG_ID_LABEL, value: 'a1b2c3d4e5f6' },
        { key: 'pxfw/service', value: 'db' },
        { key: 'pxfw/pod', value: 'node-1' },
      ]),
    );
    const none = taskOf(buildTaskGroup(input({ configId: undefined }))).labels?.labels ?? [];
    expect(none.map((l) => l.key)).not.toContain(CONFIG_ID_LABEL);
  });

  it('mounts each volume at its own spec path, matched by full name (`meta-data` is not `data`)', () => {
    const volumes = taskOf(buildTaskGroup(input())).container?.volumes ?? [];
    expect(volumes.map((v) => [v.source?.docker_volume?.name, v.container_path, v.source?.docker_volume?.driver_options?.parameter])).toEqual([
      ['db-node-1-data', '/var/lib/db', [{ key: 'size', value: '10' }, { key: 'repl', value: '2' }, { key: 'fs', value: 'ext4' }, { key: 'io_priority', value: 'medium' }]],
      ['db-node-1-meta-data', '/var/lib/meta', [{ key: 'size', value: '1' }, { key: 'repl', value: '3' }, { key: 'fs', value: 'ext4' }, { key: 'io_priority', value: 'medium' }]],
    ]);
  });

  it('names ports in spec order in the environment (fixed and dynamic)', () => {
    const env = taskOf(buildTaskGroup(input())).command?.environment?.variables ?? [];
    expect(env).toEqual(expect.arrayContaining([{ name: 'PORT_NATIVE', value: '9042' }, { name: 'PORT_HTTP', value: '31000' }]));
  });

  it('a pod type without checks sends neither health_check nor check (behaviour before checks)', () => {
    const spec = parseSpec(SPEC.replace(/ {4}health_check:[\s\S]*$/, ''));
    const task = taskOf(buildTaskGroup(input({ spec })));
    expect(task).not.toHaveProperty('health_check');
    expect(task).not.toHaveProperty('check');
  });

  it.each([
    ['TCP health, HTTP readiness', '    health_check:\n      tcp: {port: native}\n    readiness_check:\n      http: {port: 9042, path: /ready}\n'],
    ['COMMAND health, TCP readiness', '    health_check:\n      command: pgrep db\n    readiness_check:\n      tcp: {port: http}\n'],
    ['HTTPS health', '    health_check:\n      http: {port: http, scheme: https}\n'],
  ])('the ACCEPT carrying %s is a valid mesos.scheduler.Call (official protos)', (_, checks) => {
    const spec = parseSpec(SPEC.replace(/ {4}health_check:[\s\S]*$/, checks));
    const call = { type: 'ACCEPT', framework_id: { value: 'fw-1' }, accept: { offer_ids: [{ value: 'offer-1' }], operations: [buildTaskGroup(input({ spec }))] } };
    expect(protoViolations('mesos.scheduler.Call', call)).toEqual([]);
  });

  it('the full example is a valid mesos.scheduler.Call (official protos)', () => {
    const call = { type: 'ACCEPT', framework_id: { value: 'fw-1' }, accept: { offer_ids: [{ value: 'offer-1' }], operations: [buildTaskGroup(input())] } };
    expect(protoViolations('mesos.scheduler.Call', call)).toEqual([]);
  });
});

describe('choosePorts', () => {
  const pod = (ports: { name: string; port?: number }[]) => ({ ...parseSpec(SPEC).pods.node!, ports });
  it('keeps fixed ports and takes the lowest free offer ports for the rest, in spec order', () => {
    expect(choosePorts(pod([{ name: 'a' }, { name: 'b', port: 31000 }, { name: 'c' }]), [{ begin: 31000, end: 31005 }])).toEqual([31001, 31000, 31002]);
  });
});

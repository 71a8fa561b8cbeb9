import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckedTaskInfo } from '../../src/mesos/builders';
import type { Offer, OfferOperation, Resource } from '../../src/mesos';
import { buildTaskGroup, pxdDriverOptions, type TaskGroupInput } from '../../src/mesos/task-group';
import { loadSpecFile, parseSpec, volumeName, type ServiceSpec } from '../../src/service-spec';
import { protoViolations } from './helpers/proto-check';

const FRAMEWORKS = join(__dirname, '../../deploy/frameworks');
const scalar = (name: string, value: number): Resource => ({ name, type: 'SCALAR', scalar: { value }, allocation_info: { role: '*' } });
const OFFER_PORTS = [{ begin: 1025, end: 2180 }, { begin: 2182, end: 3887 }, { begin: 3889, end: 5049 }, { begin: 5052, end: 8079 }, { begin: 8082, end: 8180 }, { begin: 8182, end: 32000 }];

function offer(): Offer {
  return {
    id: { value: 'offer-1' },
    framework_id: { value: 'fw-1' },
    agent_id: { value: 'agent-1' },
    hostname: 'h1',
    allocation_info: { role: '*' },
    resources: [scalar('cpus', 16), scalar('mem', 65_536), scalar('disk', 100_000), { name: 'ports', type: 'RANGES', ranges: { range: OFFER_PORTS }, allocation_info: { role: '*' } }],
  } as Offer;
}

function input(spec: ServiceSpec, podType: string, index: number): TaskGroupInput {
  const pod = spec.pods[podType]!;
  return {
    spec,
    pod: { podType, index, name: `${podType}-${index}` },
    taskId: `${spec.name}__${podType}-${index}__1-0123abcd`,
    frameworkId: 'fw-1',
    offer: offer(),
    offerPorts: OFFER_PORTS,
    volumes: pod.volumes.map((v) => ({ name: volumeName(spec.name, podType, index, v.name) })),
    configId: 'a1b2c3d4e5f6',
  };
}

function taskOf(op: OfferOperation): CheckedTaskInfo {
  if (op.type !== 'LAUNCH_GROUP') throw new Error(`expected LAUNCH_GROUP, got ${op.type}`);
  return op.launch_group.task_group.tasks![0]!;
}

const envOf = (task: CheckedTaskInfo) => Object.fromEntries((task.command?.environment?.variables ?? []).map((v) => [v.name, v.value]));
const dns = (service: string, task: string) => `${task}.${service}.autoip.dcos.thisdcos.directory`;

const SPEC = `
name: db
pods:
  node:
    count: 3
    cpus: 1
    mem: 1024
    command: run-db --seeds {{NODE_HOSTS}} --me {{TASK_HOST}}
    env:
      PEERS: "{{#NODE_PODS}}{{INDEX}}={{MESOS_HOST}}{{^LAST}};{{/LAST}}{{/NODE_PODS}}"
    readiness_check:
      command: check {{TASK_NAME}}
`;

describe('discovery in the TaskInfo (dcos-commons TASK_NAME, POD_INSTANCE_INDEX, FRAMEWORK_HOST)', () => {
  it('names the task after the pod instance, so Mesos-DNS and autoip name it <pod>-<index>.<service>', () => {
    expect(taskOf(buildTaskGroup(input(parseSpec(SPEC), 'node', 1))).name).toBe('node-1');
  });

  it('sets the discovery variables in the environment', () => {
    const env = envOf(taskOf(buildTaskGroup(input(parseSpec(SPEC), 'node', 1))));
    expect(env).toMatchObject({
      TASK_NAME: 'node-1',
      POD_INSTANCE_INDEX: '1',
      POD_TYPE: 'node',
      FRAMEWORK_NAME: 'db',
      FRAMEWORK_HOST: 'db.autoip.dcos.thisdcos.directory',
      TASK_HOST: 'node-1.db.autoip.dcos.thisdcos.directory',
      TASK_MESOS_HOST: 'node-1.db.mesos',
    });
  });

  it('renders templates in the command, the env values and check commands for each instance', () => {
    const task = taskOf(buildTaskGroup(input(parseSpec(SPEC), 'node', 2)));
    const hosts = [0, 1, 2].map((i) => dns('db', `node-${i}`)).join(',');
    expect(task.command?.value).toBe(`run-db --seeds ${hosts} --me ${dns('db', 'node-2')}`);
    expect(envOf(task).PEERS).toBe('0=node-0.db.mesos;1=node-1.db.mesos;2=node-2.db.mesos');
    expect(task.check?.command?.command.value).toBe('check node-2');
  });

  it('joins the spec network on the executor container (tasks of a group share it) and passes the proto check', () => {
    const spec = parseSpec(`network: {name: dcos, labels: "a:b"}\n${SPEC}`);
    const op = buildTaskGroup(input(spec, 'node', 0));
    if (op.type !== 'LAUNCH_GROUP') throw new Error('expected LAUNCH_GROUP');
    expect(op.launch_group.executor.container).toEqual({ type: 'MESOS', network_infos: [{ name: 'dcos', labels: { labels: [{ key: 'a', value: 'b' }] } }] });
    expect(taskOf(op).container).not.toHaveProperty('network_infos');
    const call = { type: 'ACCEPT', framework_id: { value: 'fw-1' }, accept: { offer_ids: [{ value: 'offer-1' }], operations: [op] } };
    expect(protoViolations('mesos.scheduler.Call', call)).toEqual([]);
  });
});

describe('pxd driver_options (as OpenStorage\'s Docker plugin parses them)', () => {
  const vol = (extra: string) => parseSpec(`name: s\npods:\n  p:\n    count: 1\n    cpus: 1\n    mem: 1\n    command: x\n    volumes:\n      - {name: v, path: v, size: 2Ti, repl: 2${extra}}\n`).pods.p!.volumes[0]!;

  it('sends size in whole GiB (a bare number is GiB to pkg/units) and the replication', () => {
    expect(pxdDriverOptions(vol(''))).toMatchObject({ size: '2048', repl: '2' });
  });

  it('sends shared only when the volume is shared (the SDK compares it with the existing volume)', () => {
    expect(pxdDriverOptions(vol(''))).not.toHaveProperty('shared');
    expect(pxdDriverOptions(vol(', shared: true'))).toMatchObject({ shared: 'true' });
  });

  it('names fs, io_priority, io_profile and the encryption secret by the api.Spec* keys', () => {
    expect(pxdDriverOptions(vol(', fs: xfs, priority: high, io_profile: db, encryption_secret: px/key'))).toEqual({
      size: '2048', repl: '2', fs: 'xfs', io_priority: 'high', io_profile: 'db', secure: 'true', secret_key: 'px/key',
    });
  });
});

describe('the shipped frameworks, launched', () => {
  const files = readdirSync(FRAMEWORKS).filter((f) => f.endsWith('.yml'));

  it.each(files)('%s: every pod instance\'s ACCEPT is a valid mesos.scheduler.Call with its discovery environment', async (file) => {
    const spec = await loadSpecFile(join(FRAMEWORKS, file));
    for (const [type, pod] of Object.entries(spec.pods)) {
      for (let i = 0; i < pod.count; i++) {
        const op = buildTaskGroup(input(spec, type, i));
        const env = envOf(taskOf(op));
        expect(env.TASK_HOST).toBe(dns(spec.name, `${type}-${i}`));
        expect(JSON.stringify(op)).not.toContain('{{');
        const call = { type: 'ACCEPT', framework_id: { value: 'fw-1' }, accept: { offer_ids: [{ value: 'offer-1' }], operations: [op] } };
        expect(protoViolations('mesos.scheduler.Call', call)).toEqual([]);
      }
    }
  });

  it('cassandra: seeds are the first two nodes by DNS name, the cluster is named after the service', async () => {
    const spec = await loadSpecFile(join(FRAMEWORKS, 'cassandra.yml'));
    const task = taskOf(buildTaskGroup(input(spec, 'node', 2)));
    expect(task.command?.value).toContain(`echo '${[0, 1, 2].map((i) => dns('cassandra', `node-${i}`)).join(',')}' | cut -d, -f1-2`);
    expect(envOf(task).CASSANDRA_CLUSTER_NAME).toBe('cassandra');
  });

  it('kafka: node id = pod index, every broker a KRaft voter by DNS name, advertised by its own name', async () => {
    const spec = await loadSpecFile(join(FRAMEWORKS, 'kafka.yml'));
    const env = envOf(taskOf(buildTaskGroup(input(spec, 'broker', 1))));
    expect(env.KAFKA_NODE_ID).toBe('1');
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe([0, 1, 2].map((i) => `${i}@${dns('kafka', `broker-${i}`)}:9093`).join(','));
    expect(env.KAFKA_ADVERTISED_LISTENERS).toBe(`PLAINTEXT://${dns('kafka', 'broker-1')}:9092`);
  });

  it('elasticsearch: seed hosts are the masters at their fixed transport port, initial masters by node name', async () => {
    const spec = await loadSpecFile(join(FRAMEWORKS, 'elasticsearch.yml'));
    for (const type of ['master', 'data', 'coordinator']) {
      const env = envOf(taskOf(buildTaskGroup(input(spec, type, 0))));
      expect(env.ES_SETTING_DISCOVERY_SEED__HOSTS).toBe([0, 1, 2].map((i) => `${dns('elasticsearch', `master-${i}`)}:9300`).join(','));
      expect(env.ES_SETTING_NODE_NAME).toBe(`${type}-0`);
    }
    expect(envOf(taskOf(buildTaskGroup(input(spec, 'master', 0)))).ES_SETTING_CLUSTER_INITIAL__MASTER__NODES).toBe('master-0,master-1,master-2');
  });

  it('hdfs: the journal quorum and both NameNodes by DNS name in hdfs-site.xml', async () => {
    const spec = await loadSpecFile(join(FRAMEWORKS, 'hdfs.yml'));
    const site = envOf(taskOf(buildTaskGroup(input(spec, 'data', 0)))).HDFS_SITE!;
    expect(site).toContain(`qjournal://${[0, 1, 2].map((i) => `${dns('hdfs', `journal-${i}`)}:8485`).join(';')}/hdfs`);
    expect(site).toContain('<name>dfs.ha.namenodes.hdfs</name><value>nn0,nn1</value>');
    expect(site).toContain(`<name>dfs.namenode.rpc-address.hdfs.nn1</name><value>${dns('hdfs', 'name-1')}:9001</value>`);
    expect(site).toContain(`<name>dfs.datanode.hostname</name><value>${dns('hdfs', 'data-0')}</value>`);
  });
});

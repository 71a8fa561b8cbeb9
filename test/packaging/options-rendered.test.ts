import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Offer } from '../../src/mesos';
import { podTask } from '../../src/mesos/task-group';
import { renderMarathonApp } from '../../src/packaging';
import { parseSpec, type ServiceSpec } from '../../src/service-spec';
import { PACKAGES_DIR, problems, validators } from './schemas';

const CASSANDRA = join(PACKAGES_DIR, 'pxfw-cassandra');
const HDFS = join(PACKAGES_DIR, 'pxfw-hdfs');

type App = Record<string, unknown> & { env: Record<string, unknown>; labels: Record<string, string>; secrets?: unknown };
const appOf = async (dir: string, options?: unknown) => (await renderMarathonApp(dir, options)) as App;
const specOf = async (dir: string, options?: unknown) => parseSpec(String((await appOf(dir, options)).env.PXFW_SPEC_YAML), 'rendered', { clusterRules: true });

/** The environment node-0 of `podType` is launched with (templates rendered). */
function launchEnv(spec: ServiceSpec, podType: string): Record<string, string> {
  const task = podTask({
    spec,
    pod: { podType, index: 0, name: `${podType}-0` },
    taskId: 't',
    frameworkId: 'f',
    offer: { id: { value: 'o' }, framework_id: { value: 'f' }, agent_id: { value: 'a' }, hostname: 'h', resources: [] } as Offer,
    offerPorts: [{ begin: 31000, end: 32000 }],
    volumes: [],
  });
  return task.env ?? {};
}

describe('every package option lands in the spec it claims to set', () => {
  it('service.name: cass2 names the Cassandra cluster cass2, not the framework default', async () => {
    const spec = await specOf(CASSANDRA, { service: { name: 'cass2' } });
    expect(spec.name).toBe('cass2');
    expect(launchEnv(spec, 'node').CASSANDRA_CLUSTER_NAME).toBe('cass2');
  });

  it('sets the framework tunables: heap, num_tokens, data center and rack, authenticator', async () => {
    const node = { max_heap_size: '8G', heap_newsize: '800M', cassandra_num_tokens: '8', cassandra_dc: 'east', cassandra_rack: 'r2', cassandra_authenticator: 'PasswordAuthenticator' };
    const env = launchEnv(await specOf(CASSANDRA, { node }), 'node');
    expect(env).toMatchObject({ MAX_HEAP_SIZE: '8G', HEAP_NEWSIZE: '800M', CASSANDRA_NUM_TOKENS: '8', CASSANDRA_DC: 'east', CASSANDRA_RACK: 'r2', CASSANDRA_AUTHENTICATOR: 'PasswordAuthenticator' });
  });

  it('sets the Portworx volume options: size, replicas, io_profile, priority, fs, encryption secret', async () => {
    const node = { volume_size: 50, volume_repl: 3, volume_io_profile: 'random', volume_priority: 'low', volume_fs: 'ext4', volume_encryption_secret: 'px/cass-key' };
    const spec = await specOf(CASSANDRA, { node });
    expect(spec.pods.node!.volumes[0]).toEqual({ name: 'data', path: '/var/lib/cassandra', size: 50, repl: 3, ioProfile: 'random', priority: 'low', shared: false, fs: 'ext4', encryptionSecret: 'px/cass-key' });
    const defaults = await specOf(CASSANDRA);
    expect(defaults.pods.node!.volumes[0]).not.toHaveProperty('encryptionSecret');
  });

  it('refuses a fractional volume size (the pxd driver reads whole GiB)', async () => {
    await expect(renderMarathonApp(CASSANDRA, { node: { volume_size: 0.5 } })).rejects.toThrow(/node\.volume_size/);
  });

  it('pins every pod type to service.region in front of its own placement', async () => {
    const spec = await specOf(HDFS, { service: { region: 'us-west' }, data: { placement: '' } });
    expect(spec.pods.journal!.placement[0]).toEqual({ field: '@region', operator: 'IS', value: 'us-west' });
    expect(spec.pods.journal!.placement).toHaveLength(3);
    expect(spec.pods.data!.placement).toEqual([{ field: '@region', operator: 'IS', value: 'us-west' }]);
    expect((await specOf(HDFS)).pods.data!.placement).toEqual([{ field: 'hostname', operator: 'UNIQUE' }]);
  });

  it('joins the virtual network with its plugin labels when enabled', async () => {
    expect((await specOf(CASSANDRA)).network).toBeUndefined();
    const spec = await specOf(CASSANDRA, { service: { virtual_network_enabled: true, virtual_network_name: 'calico', virtual_network_plugin_labels: 'a:1,b:2' } });
    expect(spec.network).toEqual({ name: 'calico', labels: { a: '1', b: '2' }, hostPorts: false });
  });

  it('authenticates as the strict-mode service account: the secret as an env secret, the account as principal', async () => {
    const app = await appOf(CASSANDRA, { service: { service_account: 'pxfw-cassandra', service_account_secret: 'pxfw/cassandra/sa' }, nats: { creds_secret: 'pxfw/nats' } });
    expect(problems(validators().marathonApp, app)).toEqual([]);
    expect(app.secrets).toEqual({ natsCreds: { source: 'pxfw/nats' }, serviceCredential: { source: 'pxfw/cassandra/sa' } });
    expect(app.env).toMatchObject({ PXFW_SERVICE_ACCOUNT_CREDENTIAL: { secret: 'serviceCredential' }, PXFW_MESOS_PRINCIPAL: 'pxfw-cassandra' });
    const alone = await appOf(CASSANDRA, { service: { service_account: 'sa', service_account_secret: 'sa/secret' } });
    expect(alone.secrets).toEqual({ serviceCredential: { source: 'sa/secret' } });
  });

  it('labels the app DCOS_COMMONS_API_VERSION v1 (Cosmos then uninstalls through the scheduler)', async () => {
    expect((await appOf(CASSANDRA)).labels.DCOS_COMMONS_API_VERSION).toBe('v1');
  });
});

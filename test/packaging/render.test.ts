import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/service-spec';
import { PackageFileError, PackageOptionsError, renderMarathonApp } from '../../src/packaging';
import { PACKAGES_DIR, problems, validators } from './schemas';
import { DEFAULT_SHUTDOWN_GRACE_S } from '../../src/cli/run.command';

const CASSANDRA = join(PACKAGES_DIR, 'pxfw-cassandra');
const HDFS = join(PACKAGES_DIR, 'pxfw-hdfs');

type App = Record<string, unknown> & { env: Record<string, unknown>; cmd: string; labels: Record<string, string> };
const render = async (dir: string, options?: unknown) => (await renderMarathonApp(dir, options)) as App;
const embeddedSpec = (app: App) => parseSpec(String(app.env.PXFW_SPEC_YAML));

async function rejection(dir: string, options: unknown): Promise<PackageOptionsError> {
  const err: unknown = await renderMarathonApp(dir, options).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PackageOptionsError);
  return err as PackageOptionsError;
}

describe('renderMarathonApp (what `dcos package install --options` creates)', () => {
  it('tells the scheduler its Marathon (PXFW_MARATHON_URL) only when marathon.url is set, so uninstall removes the app', async () => {
    expect((await render(CASSANDRA)).env.PXFW_MARATHON_URL).toBeUndefined();
    const app = await render(CASSANDRA, { marathon: { url: 'https://leader.mesos/marathon' } });
    expect(app.env.PXFW_MARATHON_URL).toBe('https://leader.mesos/marathon');
  });

  it('gives the scheduler longer than its own shutdown grace before Mesos kills it (a clean stop on SIGTERM)', async () => {
    const app = await render(CASSANDRA);
    expect(app.taskKillGracePeriodSeconds).toBeGreaterThan(DEFAULT_SHUTDOWN_GRACE_S);
  });

  it('lets user options override the config.json defaults and keeps the other defaults', async () => {
    const app = await render(CASSANDRA, {
      service: { name: 'cassandra-prod', cpus: 1 },
      node: { count: 5, mem: 8192, volume_size: 200, volume_repl: 3, placement: 'hostname:UNIQUE,rack:GROUP_BY:3' },
      failure_policy: { permanent_failure_timeout: 120, auto_replace: true },
      convergence: { mode: 'hard' },
      mesos: { url: 'http://master.mesos:5050' },
    });
    expect(app).toMatchObject({ id: 'cassandra-prod', cpus: 1, mem: 512, labels: { DCOS_SERVICE_NAME: 'cassandra-prod' } });
    expect(app.env.PXFW_MESOS_URL).toBe('http://master.mesos:5050');
    const spec = embeddedSpec(app);
    expect(spec.name).toBe('cassandra-prod');
    expect(spec.pods.node).toMatchObject({ count: 5, cpus: 1, mem: 8192, volumes: [{ name: 'data', size: 200, repl: 3 }] });
    expect(spec.pods.node?.placement).toEqual([
      { field: 'hostname', operator: 'UNIQUE' },
      { field: 'rack', operator: 'GROUP_BY', value: '3' },
    ]);
    expect(spec.failurePolicy).toMatchObject({ permanentFailureTimeout: 120, autoReplace: true });
    expect(spec.convergence).toEqual({ mode: 'hard', maxWait: 60 });
  });

  it('installs with automatic replacement on, a 10 s probation, one replacement at a time and the storage-outage pause', async () => {
    const spec = embeddedSpec(await render(CASSANDRA));
    expect(spec.failurePolicy).toEqual({
      permanentFailureTimeout: 1200,
      autoReplace: true,
      probation: 10,
      maxConcurrentReplacements: 1,
      maxUnavailable: { node: 1 },
      storageOutage: { share: 0.4, minNodes: 2, window: 60 },
      spread: { node: 'keep' },
    });
  });

  it('lets an install tune the probation, the rate limits and the outage pause, max_unavailable per pod type', async () => {
    const spec = embeddedSpec(
      await render(HDFS, {
        failure_policy: { probation: 30, max_concurrent_replacements: 2, storage_outage: { share: 0.5, window: 120 } },
        data: { max_unavailable: 2 },
      }),
    );
    expect(spec.failurePolicy).toMatchObject({
      probation: 30,
      maxConcurrentReplacements: 2,
      maxUnavailable: { journal: 1, name: 1, data: 2 },
      storageOutage: { share: 0.5, minNodes: 2, window: 120 },
    });
  });

  it('rejects an outage share above 1 and a zero max_unavailable, naming the options', async () => {
    const err = await rejection(CASSANDRA, { failure_policy: { storage_outage: { share: 2 } }, node: { max_unavailable: 0 } });
    expect(err.issues).toEqual(
      expect.arrayContaining([
        { path: 'failure_policy.storage_outage.share', message: 'must be <= 1' },
        { path: 'node.max_unavailable', message: 'must be >= 1' },
      ]),
    );
  });

  it('sets each pod type of a multi-pod framework from its own option group', async () => {
    const spec = embeddedSpec(await render(HDFS, { data: { count: 6 }, journal: { volume_size: 8 } }));
    expect(spec.pods.data?.count).toBe(6);
    expect(spec.pods.journal?.volumes[0]?.size).toBe(8);
    expect(spec.pods.name?.count).toBe(2);
  });

  it('uses the image of resource.json unless service.image names another', async () => {
    expect((await render(CASSANDRA)).container).toMatchObject({ docker: { image: expect.stringMatching(/^pxfw\/pxfw:/) } });
    const app = await render(CASSANDRA, { service: { image: 'registry.local/pxfw:dev' } });
    expect(app.container).toMatchObject({ docker: { image: 'registry.local/pxfw:dev' } });
  });

  it('with nats.creds_secret, declares the secret, exposes it as an env secret and writes it to NATS_CREDS before starting', async () => {
    const plain = await render(CASSANDRA);
    expect(plain.secrets).toBeUndefined();
    expect(plain.cmd).not.toContain('NATS_CREDS');
    const app = await render(CASSANDRA, { nats: { url: 'tls://nats.example:4222', creds_secret: 'pxfw/nats-creds' } });
    expect(problems(validators().marathonApp, app)).toEqual([]);
    expect(app.secrets).toEqual({ natsCreds: { source: 'pxfw/nats-creds' } });
    expect(app.env.PXFW_NATS_CREDS_CONTENT).toEqual({ secret: 'natsCreds' });
    expect(app.env.NATS_URL).toBe('tls://nats.example:4222');
    expect(app.cmd).toContain('export NATS_CREDS="$MESOS_SANDBOX/nats.creds"');
  });

  it('passes portworx.legacy_url only when it is set', async () => {
    expect((await render(CASSANDRA)).env).not.toHaveProperty('PXFW_PORTWORX_LEGACY_URL');
    const app = await render(CASSANDRA, { portworx: { url: 'http://px.example:9021', legacy_url: 'http://px.example:9001' } });
    expect(app.env).toMatchObject({ PXFW_PORTWORX_URL: 'http://px.example:9021', PXFW_PORTWORX_LEGACY_URL: 'http://px.example:9001' });
  });

  it('rejects a negative pod count, naming the option and the rule', async () => {
    const err = await rejection(CASSANDRA, { node: { count: -1 } });
    expect(err.code).toBe('PACKAGE_OPTIONS_INVALID');
    expect(err.retryable).toBe(false);
    expect(err.issues).toEqual([{ path: 'node.count', message: 'must be >= 0' }]);
    expect(err.message).toBe('invalid options for package pxfw-cassandra: node.count: must be >= 0');
  });

  it('rejects an unknown option, a wrong type, an out-of-range replica count and a bad service name in one error', async () => {
    const err = await rejection(CASSANDRA, {
      node: { cuont: 3, cpus: 'two', volume_repl: 4 },
      service: { name: 'Cassandra_Prod' },
    });
    expect(err.issues).toEqual(
      expect.arrayContaining([
        { path: 'node.cuont', message: 'unknown option (check its spelling and nesting)' },
        { path: 'node.cpus', message: 'must be number' },
        { path: 'node.volume_repl', message: 'must be <= 3' },
        { path: 'service.name', message: expect.stringContaining('must match pattern') },
      ]),
    );
  });

  it('rejects a placement that would break out of the embedded spec string', async () => {
    const err = await rejection(CASSANDRA, { node: { placement: 'hostname:UNIQUE"\nvolume_policy: delete' } });
    expect(err.issues.map((i) => i.path)).toEqual(['node.placement']);
  });

  it('rejects, at render time, a placement that config.json accepts but pxfw run would refuse, naming the option', async () => {
    const bogus = await rejection(CASSANDRA, { node: { placement: 'hostname:BOGUS' } });
    expect(bogus.issues).toEqual([{ path: 'node.placement', message: expect.stringMatching(/^expected one of UNIQUE, .*; got "BOGUS" \(pxfw run would refuse this spec\)$/) }]);
    const maxPer = await rejection(CASSANDRA, { node: { placement: 'rack:MAX_PER' } });
    expect(maxPer.message).toMatch(/node\.placement: MAX_PER needs a positive integer/);
    const unique = await rejection(HDFS, { data: { placement: 'hostname:UNIQUE:x' } });
    expect(unique.issues.map((i) => i.path)).toEqual(['data.placement']);
  });

  it('rejects options that are not a JSON object', async () => {
    const err = await rejection(CASSANDRA, ['node']);
    expect(err.message).toContain('must be a JSON object');
  });

  it('names the missing file when the package directory is incomplete', async () => {
    const err: unknown = await renderMarathonApp(join(PACKAGES_DIR, 'no-such-package')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PackageFileError);
    expect((err as Error).message).toMatch(/no-such-package\/(package|config|resource)\.json|marathon\.json\.mustache/);
  });

  it('renders, for any valid options, an app Marathon accepts whose spec carries exactly those options', async () => {
    const placement = fc.constantFrom('', 'hostname:UNIQUE', 'hostname:UNIQUE,@zone:GROUP_BY', 'rack:LIKE:rack-[12]', '@region:IS:eu-west');
    const options = fc.record({
      service: fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/), mem: fc.integer({ min: 256, max: 4096 }) }),
      node: fc.record({
        count: fc.integer({ min: 0, max: 50 }),
        cpus: fc.double({ min: 0.1, max: 64, noNaN: true }),
        mem: fc.integer({ min: 32, max: 65536 }),
        volume_size: fc.integer({ min: 1, max: 4096 }),
        volume_repl: fc.integer({ min: 1, max: 3 }),
        placement,
      }),
      failure_policy: fc.record({
        permanent_failure_timeout: fc.integer({ min: 1, max: 86400 }),
        auto_replace: fc.boolean(),
        probation: fc.integer({ min: 1, max: 3600 }),
        max_concurrent_replacements: fc.integer({ min: 1, max: 10 }),
        storage_outage: fc.record({
          share: fc.double({ min: 0.01, max: 1, noNaN: true }),
          min_nodes: fc.integer({ min: 1, max: 100 }),
          window: fc.integer({ min: 1, max: 3600 }),
        }),
        spread: fc.constantFrom('keep', 'break'),
      }),
    });
    await fc.assert(
      fc.asyncProperty(options, async (opts) => {
        const app = await render(CASSANDRA, opts);
        expect(problems(validators().marathonApp, app)).toEqual([]);
        expect(app.id).toBe(opts.service.name);
        const spec = embeddedSpec(app);
        expect(spec.name).toBe(opts.service.name);
        expect(spec.pods.node).toMatchObject({ count: opts.node.count, cpus: opts.node.cpus, mem: opts.node.mem });
        expect(spec.pods.node?.volumes[0]).toMatchObject({ size: opts.node.volume_size, repl: opts.node.volume_repl });
        expect(spec.pods.node?.placement.length).toBe(opts.node.placement === '' ? 0 : opts.node.placement.split(',').length);
        const fp = opts.failure_policy;
        expect(spec.failurePolicy).toEqual({
          permanentFailureTimeout: fp.permanent_failure_timeout,
          autoReplace: fp.auto_replace,
          probation: fp.probation,
          maxConcurrentReplacements: fp.max_concurrent_replacements,
          maxUnavailable: { node: 1 },
          storageOutage: { share: fp.storage_outage.share, minNodes: fp.storage_outage.min_nodes, window: fp.storage_outage.window },
          spread: { node: fp.spread },
        });
      }),
      { numRuns: 60 },
    );
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../api/helpers';

describe('pxfw <service> … the dcos <service> commands', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ progressOnPoll: true, sidecars: { repair: { KEYSPACE: '' }, cleanup: {} } });
  });
  afterEach(async () => {
    await h.close();
  });

  describe('sidecar plans: plan start|stop PLAN -p KEY=VALUE', () => {
    it('starts a plan the spec declares with its parameters, and --wait follows it', async () => {
      const r = await h.cli('plan', 'start', 'repair', '-p', 'KEYSPACE=ks1', '--wait');
      expect(r.code).toBe(0);
      expect(r.out.split('\n')[0]).toBe('plan repair: started');
      expect(r.out).toContain('repair: 3/3 steps complete, plan COMPLETE');
      expect(h.ops.starts).toEqual([{ plan: 'repair', parameters: { KEYSPACE: 'ks1' } }]);
      expect(h.audit.at(-1)).toMatchObject({ verb: 'plan.status' });
      expect(h.audit.find((a) => a.verb === 'plan.start')?.request).toEqual({ plan: 'repair', parameters: { KEYSPACE: 'ks1' } });
    });

    it('refuses a malformed -p before sending, and an unknown parameter at the scheduler (--json error object)', async () => {
      const bad = await h.cli('plan', 'start', 'repair', '-p', 'KEYSPACE');
      expect(bad.code).toBe(1);
      expect(bad.err).toContain("expected KEY=VALUE (e.g. KEYSPACE=ks), got 'KEYSPACE'");
      const unknown = await h.cli('plan', 'start', 'repair', '-p', 'TABLE=t', '--json');
      expect(unknown.code).toBe(1);
      expect(JSON.parse(unknown.out)).toEqual({ error: { code: 'INVALID_REQUEST', status: 400, message: 'parameters.TABLE: plan repair takes KEYSPACE', retryable: false } });
      expect(unknown.err).toBe('pxfw: 400 INVALID_REQUEST: parameters.TABLE: plan repair takes KEYSPACE\n');
      const lower = await h.cli('plan', 'start', 'repair', '-p', 'keyspace=x', '--json');
      expect(JSON.parse(lower.out).error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('parameters.keyspace') });
    });

    it('plan stop leaves the run paused; an undeclared plan is a 404 naming the sidecar plans', async () => {
      await h.cli('plan', 'start', 'cleanup');
      const stopped = await h.cli('plan', 'stop', 'cleanup');
      expect(stopped.out.split('\n')[0]).toBe('plan cleanup: stopped');
      expect((await h.ops.planStatus('cleanup')).paused).toBe(true);
      const none = await h.cli('plan', 'start', 'compact');
      expect(none).toMatchObject({ code: 1, err: "pxfw: 404 UNKNOWN_PLAN: no sidecar plan 'compact' in the spec (sidecar plans: repair, cleanup)\n" });
    });
  });

  describe('phase-level pause and resume', () => {
    it('pauses one phase: its steps hold while the plan is not paused; resume releases them', async () => {
      await h.ops.planRestart('deploy');
      const paused = await h.cli('plan', 'pause', 'deploy', '--phase', 'deploy');
      expect(paused.out.split('\n')[0]).toBe('phase deploy of plan deploy: paused');
      const view = await h.ops.planStatus('deploy');
      expect(view.paused).toBe(false);
      expect(view.phases[0]!.steps.map((s) => s.status)).toEqual(['WAITING', 'WAITING', 'WAITING']);
      const resumed = await h.cli('plan', 'resume', 'deploy', '--phase', 'deploy', '--json');
      expect(JSON.parse(resumed.out).phases[0].steps[0].status).not.toBe('WAITING');
      const missing = await h.cli('plan', 'pause', 'deploy', '--phase', 'nope', '--json');
      expect(JSON.parse(missing.out).error).toMatchObject({ code: 'UNKNOWN_PLAN', status: 404 });
    });
  });

  describe('config list|show ID|target', () => {
    it('lists the stored configurations, shows one by id, and prints the target', async () => {
      const before = await h.cli('config', 'list');
      expect(before.out).toBe('ID       STORED  TARGET\ninitial  -       yes\n(no config update yet: the target is the spec the scheduler started with)\n');
      await h.ops.configUpdate(`name: ${h.service}\npods:\n  node:\n    count: 3\n    cpus: 2\n`);
      const list = await h.cli('config', 'list', '--json');
      expect(JSON.parse(list.out)).toEqual({ target: 'cfg1', configs: [{ id: 'cfg1', storedAt: '2026-01-01T00:00:00.000Z', target: true }] });
      const show = await h.cli('config', 'show', 'cfg1');
      expect(show.out.split('\n').slice(0, 2)).toEqual(['# configuration cfg1 (the target), stored 2026-01-01T00:00:00.000Z', `name: ${h.service}`]);
      const unknown = await h.cli('config', 'show', 'cfg9', '--json');
      expect(JSON.parse(unknown.out).error).toMatchObject({ code: 'UNKNOWN_CONFIG', status: 404 });
      const target = await h.cli('config', 'target');
      expect(target.out.split('\n')[1]).toBe(`name: ${h.service}`);
    });
  });

  describe('endpoints [NAME]', () => {
    it('shows one endpoint with each pod\'s address and DC/OS DNS name; an unknown one names those there are', async () => {
      const one = await h.cli('endpoints', 'node-native');
      expect(one.out.split('\n')).toEqual([
        'endpoint node-native (pod type node, port native)',
        'ADDRESS      DNS',
        `host-0:9042  node-0.${h.service}.autoip.dcos.thisdcos.directory:9042`,
        `host-1:9042  node-1.${h.service}.autoip.dcos.thisdcos.directory:9042`,
        `host-2:9042  node-2.${h.service}.autoip.dcos.thisdcos.directory:9042`,
        '',
      ]);
      const json = await h.cli('endpoints', 'node-native', '--json');
      expect(JSON.parse(json.out)).toMatchObject({ name: 'node-native', dns: expect.arrayContaining([`node-0.${h.service}.autoip.dcos.thisdcos.directory:9042`]) });
      const none = await h.cli('endpoints', 'native');
      expect(none.err).toBe("pxfw: 404 UNKNOWN_ENDPOINT: no endpoint 'native' (endpoints: node-native)\n");
    });
  });

  describe('--json on errors', () => {
    it('a destructive verb without --yes: the usage error as JSON, nothing sent', async () => {
      const r = await h.cli('pod', 'replace', 'node-1', '--json');
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out)).toEqual({ error: { code: 'CLI_USAGE', message: `add --yes to confirm pod replace node-1 on ${h.service} (this is destructive)`, retryable: false } });
      expect(h.ops.mutations).toBe(0);
    });

    it('commander usage errors (missing argument, unknown option) as JSON with their exit status', async () => {
      const missing = await h.cli('pod', 'info', '--json');
      expect(missing.code).toBe(1);
      expect(JSON.parse(missing.out)).toEqual({ error: { code: 'CLI_USAGE', message: "missing required argument 'pod'", retryable: false } });
      const option = await h.cli('pod', 'list', '--bogus', '--json');
      expect(JSON.parse(option.out).error).toMatchObject({ code: 'CLI_USAGE', message: "unknown option '--bogus'" });
    });

    it('no scheduler: NO_RESPONDERS, retryable; a watch that times out: WAIT_TIMEOUT with the plan as last seen', async () => {
      const none = await h.cli('plan', 'list', '--json');
      expect(none.code).toBe(0);
      await h.commands.stop();
      const gone = await h.cli('plan', 'list', '--json');
      expect(gone.code).toBe(1);
      expect(JSON.parse(gone.out).error).toMatchObject({ code: 'NO_RESPONDERS', retryable: true });
    });

    it('a --watch that times out prints one JSON document: the error with the plan', async () => {
      await h.ops.planRestart('deploy');
      await h.ops.planPause('deploy');
      const r = await h.cli('plan', 'status', '--watch', '--timeout', '0.2', '--json');
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.out) as { error: { code: string; plan: { name: string } } };
      expect(doc.error).toMatchObject({ code: 'WAIT_TIMEOUT', retryable: true, plan: { name: 'deploy', paused: true } });
    });
  });
});

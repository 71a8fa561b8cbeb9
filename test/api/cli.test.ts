import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { runCli, startHarness, uniqueService, type Harness } from './helpers';

describe('pxfw <service> … (the operator CLI)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ progressOnPoll: true });
  });
  afterEach(async () => {
    await h.close();
  });

  describe('plans', () => {
    it('plan list prints a table of plans, and --json the raw reply', async () => {
      const human = await h.cli('plan', 'list');
      expect(human).toEqual({
        code: 0,
        err: '',
        out: ['PLAN      STATUS    PAUSED  PHASES  STEPS', 'deploy    COMPLETE  no      1       3/3', 'recovery  COMPLETE  no      1       0/0', ''].join('\n'),
      });
      const json = await h.cli('plan', 'list', '--json');
      expect(JSON.parse(json.out)).toEqual(await h.ops.planList());
    });

    it('plan status shows the deploy plan step by step by default', async () => {
      const { code, out } = await h.cli('plan', 'status');
      expect(code).toBe(0);
      expect(out.split('\n').slice(0, 3)).toEqual([
        'plan deploy: COMPLETE',
        'PHASE            PHASE STATUS  STEP    STATUS    MESSAGE',
        'deploy (serial)  COMPLETE      node-0  COMPLETE  -',
      ]);
      const json = await h.cli('plan', 'status', 'recovery', '--json');
      expect(JSON.parse(json.out)).toMatchObject({ name: 'recovery', status: 'COMPLETE' });
    });

    it('plan status --watch prints a line per change until the plan completes', async () => {
      await h.ops.planRestart('deploy');
      const { code, out } = await h.cli('plan', 'status', 'deploy', '--watch');
      expect(code).toBe(0);
      expect(out.split('\n').filter(Boolean)).toEqual([
        'deploy: 0/3 steps complete (node-0 STARTING)',
        'deploy: 1/3 steps complete (node-1 PENDING)',
        'deploy: 1/3 steps complete (node-1 STARTING)',
        'deploy: 2/3 steps complete (node-2 PENDING)',
        'deploy: 2/3 steps complete (node-2 STARTING)',
        'deploy: 3/3 steps complete, plan COMPLETE',
      ]);
    });

    it('plan status --watch gives up with a non-zero exit after --timeout', async () => {
      await h.ops.planRestart('deploy');
      await h.ops.planPause('deploy');
      const { code, out, err } = await h.cli('plan', 'status', '--watch', '--timeout', '0.2');
      expect(code).toBe(1);
      expect(out).toBe('deploy: 0/3 steps complete (node-0 PENDING) [paused]\n');
      expect(err).toBe('pxfw: timed out after 0.2 s waiting for plan deploy (PENDING)\n');
    });

    it('pause and resume a plan', async () => {
      expect((await h.cli('plan', 'pause')).out).toBe('plan deploy: paused\ndeploy: 3/3 steps complete, plan COMPLETE [paused]\n');
      expect(h.ops.plans.get('deploy')?.paused).toBe(true);
      expect((await h.cli('plan', 'resume', 'deploy')).out).toBe('plan deploy: running\ndeploy: 3/3 steps complete, plan COMPLETE\n');
      expect(h.ops.plans.get('deploy')?.paused).toBe(false);
    });

    it('force-complete and restart need --yes and then act on a plan, phase or step', async () => {
      const refused = await h.cli('plan', 'restart', 'deploy', 'deploy', 'node-1');
      expect(refused).toEqual({ code: 1, out: '', err: `pxfw: add --yes to confirm plan restart deploy/deploy/node-1 on ${h.service} (this is destructive)\n` });
      expect(h.ops.mutations).toBe(0);
      const restarted = await h.cli('plan', 'restart', 'deploy', 'deploy', 'node-1', '--yes');
      expect(restarted.out).toBe('plan deploy/deploy/node-1: restart accepted\ndeploy: 2/3 steps complete (node-1 PENDING)\n');
      const forced = await h.cli('plan', 'force-complete', 'deploy', '--yes', '--json');
      expect(JSON.parse(forced.out)).toMatchObject({ name: 'deploy', status: 'COMPLETE' });
      const unknown = await h.cli('plan', 'force-complete', 'deploy', 'nope', '--yes');
      expect(unknown).toMatchObject({ code: 1, err: "pxfw: 404 UNKNOWN_PLAN: plan 'deploy' has no phase 'nope'\n" });
    });
  });

  describe('pods', () => {
    it('pod list prints aligned columns', async () => {
      const { code, out } = await h.cli('pod', 'list');
      expect(code).toBe(0);
      expect(out).toBe(
        [
          'POD     TYPE  STATE    TASK STATE    HOST',
          'node-0  node  running  TASK_RUNNING  host-0',
          'node-1  node  running  TASK_RUNNING  host-1',
          'node-2  node  running  TASK_RUNNING  host-2',
          '',
        ].join('\n'),
      );
      expect(JSON.parse((await h.cli('pod', 'list', '--json')).out)).toHaveLength(3);
    });

    it('pod status shows one pod or all of them', async () => {
      const one = await h.cli('pod', 'status', 'node-1');
      expect(one.out.split('\n')[1]).toBe('node-1  running  node-1__task-2  TASK_RUNNING  agent-1  host-1  -');
      expect((await h.cli('pod', 'status')).out.split('\n').filter(Boolean)).toHaveLength(4);
    });

    it('pod info shows fields, volumes and spec', async () => {
      const { out } = await h.cli('pod', 'info', 'node-2');
      expect(out).toContain('pod         node-2\n');
      expect(out).toContain(`data    ${h.service}-node-2-data  host-2,host-3`);
      expect(out).toContain('"memory": 2048');
      const json = JSON.parse((await h.cli('pod', 'info', 'node-2', '--json')).out) as { history: unknown[] };
      expect(json.history).toHaveLength(1);
    });

    it('an unknown pod is a 404 with a one-line reason and a non-zero exit', async () => {
      const { code, out, err } = await h.cli('pod', 'info', 'node-9');
      expect({ code, out }).toEqual({ code: 1, out: '' });
      expect(err).toBe("pxfw: 404 UNKNOWN_POD: pod 'node-9' does not exist (pods: node-0, node-1, node-2)\n");
    });

    it('pod restart and replace refuse without --yes before sending anything', async () => {
      for (const verb of ['restart', 'replace']) {
        const r = await h.cli('pod', verb, 'node-1');
        expect(r).toEqual({ code: 1, out: '', err: `pxfw: add --yes to confirm pod ${verb} node-1 on ${h.service} (this is destructive)\n` });
      }
      expect(h.audit).toHaveLength(0);
    });

    it('pod restart and replace act with --yes', async () => {
      expect((await h.cli('pod', 'restart', 'node-0', '--yes')).out).toBe('pod node-0 is restarting in place on host-0\n');
      const replaced = await h.cli('pod', 'replace', 'node-1', '--yes', '--json');
      expect(JSON.parse(replaced.out)).toMatchObject({ accepted: true });
      expect(h.ops.pods.get('node-1')?.state).toBe('re-attaching');
      expect(h.audit.map((a) => [a.verb, a.user, a.result])).toEqual([
        ['pod.restart', 'alice', 'ok'],
        ['pod.replace', 'alice', 'ok'],
      ]);
    });
  });

  describe('scale', () => {
    it('scale needs --yes and rejects a negative count naming the field, changing nothing', async () => {
      expect((await h.cli('scale', 'node', '5')).err).toBe(`pxfw: add --yes to confirm scale node to 5 on ${h.service} (this is destructive)\n`);
      const negative = await h.cli('scale', 'node', '-1', '--yes');
      expect(negative).toEqual({ code: 1, out: '', err: 'pxfw: 400 INVALID_REQUEST: count: must be a non-negative integer\n' });
      const word = await h.cli('scale', 'node', 'three', '--yes');
      expect(word.err).toBe('pxfw: 400 INVALID_REQUEST: count: must be a non-negative integer\n');
      expect(h.ops.mutations).toBe(0);
      expect(h.ops.pods.size).toBe(3);
    });

    it('scale up --wait follows the deploy plan to COMPLETE', async () => {
      const { code, out } = await h.cli('scale', 'node', '4', '--yes', '--wait');
      expect(code).toBe(0);
      expect(out.split('\n').filter(Boolean)).toEqual([
        'scaling node from 3 to 4',
        'deploy: 0/1 steps complete (node-3 PENDING)',
        'deploy: 0/1 steps complete (node-3 STARTING)',
        'deploy: 1/1 steps complete, plan COMPLETE',
      ]);
      expect(h.ops.pods.get('node-3')?.state).toBe('running');
    });

    it('scale down reports the decommission plan', async () => {
      const { out } = await h.cli('scale', 'node', '2', '--yes');
      expect(out).toBe('scaling node from 3 to 2: decommissioning node-2\ndecommission: 0/1 steps complete (node-2 PENDING)\n');
    });
  });

  describe('snapshots', () => {
    it('snapshot create, list and restore', async () => {
      const created = await h.cli('snapshot', 'create', '--name', 'nightly', '--pod-type', 'node');
      expect(created.code).toBe(0);
      expect(created.out.split('\n').slice(0, 3)).toEqual([
        `creating snapshot of ${h.service} (waiting up to 600 s)...`,
        'snapshot nightly (group-1) of pod type node at 2026-01-01T00:00:00.000Z: 3 volumes',
        'VOLUME  VOLUME ID               SNAPSHOT ID',
      ]);
      const list = await h.cli('snapshot', 'list');
      expect(list.out).toBe('ID       NAME     CREATED                   POD TYPE  VOLUMES\ngroup-1  nightly  2026-01-01T00:00:00.000Z  node      3\n');
      const json = await h.cli('snapshot', 'create', '--json');
      expect(json.err).toContain('creating snapshot of');
      expect(JSON.parse(json.out)).toMatchObject({ name: 'snapshot-2', podType: null });
      expect((await h.cli('snapshot', 'restore', 'nightly')).code).toBe(1);
      const restored = await h.cli('snapshot', 'restore', 'nightly', '--yes');
      expect(restored.out).toBe('restoring 3 volumes from nightly: pods stop, volumes are restored, pods start again\n');
      expect((await h.cli('snapshot', 'restore', 'weekly', '--yes')).err).toBe("pxfw: 404 UNKNOWN_SNAPSHOT: snapshot 'weekly' does not exist\n");
    });
  });

  describe('uninstall', () => {
    it('uninstall needs --yes, passes the delete flags and --wait follows the uninstall plan', async () => {
      expect((await h.cli('uninstall')).err).toBe(`pxfw: add --yes to confirm uninstall on ${h.service} (this is destructive)\n`);
      expect(h.ops.uninstalling).toBe(false);
      const { code, out } = await h.cli('uninstall', '--delete-volumes', '--yes', '--wait');
      expect(code).toBe(0);
      const lines = out.split('\n').filter(Boolean);
      expect(lines[0]).toBe(`uninstalling ${h.service} (deleting volumes, keeping snapshots)`);
      expect(lines.at(-1)).toBe('uninstall: 3/3 steps complete, plan COMPLETE');
      expect(h.audit.at(0)?.request).toEqual({ deleteVolumes: true, deleteSnapshots: false, confirm: h.service });
      expect(h.ops.pods.size).toBe(0);
    });
  });

  describe('endpoints, debug and config', () => {
    it('endpoints lists addresses', async () => {
      expect((await h.cli('endpoints')).out).toBe('ENDPOINT     ADDRESSES\nnode-native  host-0:9042,host-1:9042,host-2:9042\n');
      expect(JSON.parse((await h.cli('endpoints', '--json')).out)).toEqual([
        expect.objectContaining({ name: 'node-native', addresses: ['host-0:9042', 'host-1:9042', 'host-2:9042'] }),
      ]);
    });

    it('debug offers explains placement per pod', async () => {
      const { out } = await h.cli('debug', 'offers', 'node-0');
      expect(out).toBe(
        [
          'node-0 (evaluated 2026-01-01T00:00:00.000Z)',
          `  offer O-1 on host-0: accepted (holds a replica of ${h.service}-node-0-data)`,
          '  offer O-2 on host-9: declined (constraint hostname:UNIQUE)',
          '',
        ].join('\n'),
      );
      expect(JSON.parse((await h.cli('debug', 'offers', '--json')).out)).toHaveLength(3);
    });

    it('config show prints the YAML; config update sends a file with --yes', async () => {
      const shown = await h.cli('config', 'show');
      expect(shown.out).toBe(`name: ${h.service}\npods:\n  node:\n    count: 3\n    cpus: 1\n    memory: 2048\n`);
      const dir = mkdtempSync(join(tmpdir(), 'pxfw-cfg-'));
      try {
        const file = join(dir, 'spec.yaml');
        writeFileSync(file, shown.out.replace('memory: 2048', 'memory: 4096'));
        expect((await h.cli('config', 'update', file)).code).toBe(1);
        const updated = await h.cli('config', 'update', file, '--yes');
        expect(updated.out).toBe('spec updated; the update plan rolls the pods\npods to update: node-0, node-1, node-2\n');
        const missing = await h.cli('config', 'update', join(dir, 'nope.yaml'), '--yes');
        expect(missing.err).toMatch(/^pxfw: cannot read .*nope\.yaml: ENOENT/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      expect((await h.cli('config', 'show', '--json')).out).toContain('"memory": 4096');
    });
  });

  describe('connection and usage errors', () => {
    it('says the scheduler is not running when nobody answers', async () => {
      const other = uniqueService('absent');
      const { code, err } = await runCli(h.nc, other, ['pod', 'list']);
      expect(code).toBe(1);
      expect(err).toBe(`pxfw: is the scheduler for ${other} running? (no responders on pxfw.${other}.pod.list)\n`);
    });

    it('connects by itself from --nats and closes the connection afterwards', async () => {
      const { code, out } = await runCli(undefined, h.service, ['--nats', SHARED_NATS_URL, 'pod', 'list', '--json']);
      expect(code).toBe(0);
      expect(JSON.parse(out)).toHaveLength(3);
    });

    it('names an unreachable NATS server', async () => {
      const { code, err } = await runCli(undefined, h.service, ['pod', 'list', '--nats', 'nats://127.0.0.1:1']);
      expect(code).toBe(1);
      expect(err).toMatch(/^pxfw: cannot connect to NATS at nats:\/\/127\.0\.0\.1:1: /);
    });

    it('rejects a bad --timeout, an unknown command and a bad service name', async () => {
      expect((await h.cli('pod', 'list', '--timeout', 'soon')).err).toBe("pxfw: --timeout must be a positive number of seconds (got 'soon')\n");
      expect(await h.cli('bogus')).toMatchObject({ code: 1, err: "error: unknown command 'bogus'\n" });
      expect(await runCli(h.nc, 'bad.name', ['pod', 'list'])).toMatchObject({ code: 1, err: expect.stringMatching(/^pxfw: service: 'bad.name' is not a valid service name/) });
    });

    it('records --user as the caller in the audit log', async () => {
      await h.cli('pod', 'list', '--user', 'dave');
      expect(h.audit.at(-1)).toMatchObject({ verb: 'pod.list', user: 'dave', clientId: String(h.nc.info?.client_id) });
    });

    it('--help prints usage and exits 0', async () => {
      const { code, out } = await h.cli('--help');
      expect(code).toBe(0);
      expect(out).toContain(`Usage: pxfw ${h.service} [options] [command]`);
    });
  });
});

describe('pxfw <service> uninstall --wait when the scheduler exits', () => {
  it('treats the scheduler going away during the wait as the end of uninstall', async () => {
    const h = await startHarness();
    const watcher = await connect({ servers: SHARED_NATS_URL });
    try {
      // The scheduler stops once uninstall was accepted and the plan polled once.
      let polls = 0;
      const planStatus = h.ops.planStatus.bind(h.ops);
      h.ops.planStatus = async (plan) => {
        polls += 1;
        if (polls === 1) setTimeout(() => void h.commands.stop(), 0);
        return planStatus(plan);
      };
      const { code, out } = await runCli(watcher, h.service, ['uninstall', '--yes', '--wait']);
      expect(code).toBe(0);
      expect(out.split('\n').filter(Boolean)).toEqual([
        `uninstalling ${h.service} (keeping volumes, keeping snapshots)`,
        'uninstall: 0/3 steps complete (node-0 PENDING)',
        `uninstall: the scheduler for ${h.service} has exited (uninstall finished)`,
      ]);
    } finally {
      await watcher.close();
      await h.close();
    }
  });
});

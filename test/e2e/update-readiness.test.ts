import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { PlanView } from '../../src/api/operations';
import { simPodCheck } from '../../src/sim/mesos/control-client';
import { eventually, frameworkYaml, startSandbox } from './helpers';
import { captureTransitions, cli, cliJson, runningTasks } from './helpers-ops';
import { patchSpec } from './helpers-recovery';

/** The sandbox's time runs this much faster: the 600 s readiness deadline of a restart is 30 s. */
const SPEED = 20;

/** The largest number of pods not ready at once, replaying every pod transition (ready = `running.up`). */
function worstUnready(list: readonly { actor: string; to: string }[], pods: string[]): number {
  const unready = new Set<string>();
  let worst = 0;
  for (const t of list.filter((x) => x.actor.startsWith('pod/'))) {
    const pod = t.actor.slice(4);
    if (!pods.includes(pod)) continue;
    if (t.to === 'running.up') unready.delete(pod);
    else unready.add(pod);
    worst = Math.max(worst, unready.size);
  }
  return worst;
}

/**
 * Issue 11 "done when": an update of 6 pods in 3 racks never has more than one pod unready; it
 * stops when one pod's readiness fails (its relaunched task fails its readiness check before it
 * ever passes: `pxfw sim task unready --pod`), and resumes after `plan resume update`.
 */
describe('a rolling update of 6 Cassandra nodes in 3 racks, gated by readiness', () => {
  let sb: Sandbox;
  let name: string;
  let yaml: string;
  const dir = mkdtempSync(join(tmpdir(), 'pxfw-update-readiness-'));
  const taskOf = (pod: string) => runningTasks(sb).find((t) => t.taskId.split('__')[1] === pod);

  beforeAll(async () => {
    ({ yaml, name } = frameworkYaml('cassandra', patchSpec((d) => (d.pods.node!.count = 6))));
    ({ sandbox: sb } = await startSandbox(yaml, { agents: 6, racks: 3, speed: SPEED, record: false }));
    await sb.scheduler.waitDeployed(90_000);
  }, 120_000);
  afterAll(async () => {
    await sb?.stop();
  });

  it('never more than one pod unready; stops at the pod whose readiness fails; resumes after plan resume', { timeout: 240_000 }, async () => {
    const pods = Array.from({ length: 6 }, (_, i) => `node-${i}`);
    const rackOf = new Map(sb.mesos.agents().map((a) => [a.hostname, a.rack]));
    expect(new Set(pods.map((p) => rackOf.get(taskOf(p)!.hostname))).size).toBe(3);
    const before = new Map(pods.map((p) => [p, taskOf(p)!.taskId]));

    // node-3's next task (its relaunch by the update) fails its readiness check from the first run.
    await simPodCheck(sb.mesos.url, taskOf('node-3')!.name, 'unready');
    const file = join(dir, 'heap.yml');
    writeFileSync(file, yaml.replace('MAX_HEAP_SIZE: 2G', 'MAX_HEAP_SIZE: 3G'));
    const transitions = captureTransitions(sb);
    try {
      const r = await cli(name, 'config', 'update', file, '--yes');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/rolling restart of 6 pods, at most 1 node down at a time/);

      const stopped = await eventually('update plan stopped at node-3', async () => {
        const p = await cliJson<PlanView>(name, 'plan', 'status', 'update');
        return p.status === 'ERROR' && p;
      }, 120_000);
      expect(stopped.errors).toEqual([expect.stringMatching(/^stopped at step node-3: node-3 not ready 600 s after its restart \(state running\.unready\)$/)]);
      expect(stopped.phases[0]!.steps.map((s) => [s.name, s.status])).toEqual([
        ['node-0', 'COMPLETE'],
        ['node-1', 'COMPLETE'],
        ['node-2', 'COMPLETE'],
        ['node-3', 'ERROR'],
        ['node-4', 'PENDING'],
        ['node-5', 'PENDING'],
      ]);
      // No "move on anyway": the pods after it keep their tasks.
      await new Promise((res) => setTimeout(res, 1_000));
      expect([taskOf('node-4')?.taskId, taskOf('node-5')?.taskId]).toEqual([before.get('node-4'), before.get('node-5')]);
      const relaunched = taskOf('node-3')!.taskId;
      expect(relaunched).not.toBe(before.get('node-3'));

      // The operator fixes node-3 and resumes: its step completes without another restart.
      await simPodCheck(sb.mesos.url, taskOf('node-3')!.name, 'ready');
      const resumed = await cli(name, 'plan', 'resume', 'update');
      expect(resumed.code, resumed.err).toBe(0);
      await eventually('update plan complete', async () => (await cliJson<PlanView>(name, 'plan', 'status', 'update')).status === 'COMPLETE', 90_000);
      expect(taskOf('node-3')!.taskId).toBe(relaunched);
      for (const p of pods) expect(taskOf(p)!.taskId).not.toBe(before.get(p));
    } finally {
      transitions.stop();
    }
    const restarted = new Set(transitions.list.filter((x) => x.to === 'relaunching.killing').map((x) => x.actor));
    expect(restarted).toEqual(new Set(pods.map((p) => `pod/${p}`)));
    expect(transitions.list.filter((x) => x.actor === 'pod/node-3' && x.to === 'relaunching.killing')).toHaveLength(1);
    expect(worstUnready(transitions.list, pods)).toBe(1);
  });
});

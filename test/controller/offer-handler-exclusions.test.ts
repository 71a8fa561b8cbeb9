import { describe, expect, it } from 'vitest';
import { activeExclusions } from '../../src/controller/offer-handler';
import { agentIdOf, clusterOf, hosts, learnStorage } from './fixtures';

/**
 * A replaced pod keeps its fenced host out of placement only while that host is, or may be, the
 * failed one (docs/failure-classification.md, rule 8). The exclusion lapses, level-triggered, once
 * the host offers again, its Portworx node is online, and the old task is not reported alive there.
 */
describe('activeExclusions: a fenced host is avoided only while it may be the failed host', () => {
  const oldTask = { taskId: 'svc__node-2__1-aaaaaaaa', agentId: agentIdOf('h2'), hostname: 'h2', offerId: 'o1' };
  const ctx = { excludeHosts: ['h2'], lastTask: oldTask };
  const offerOf = (host: string, agentId = agentIdOf(host)) => ({ hostname: host, agentId });

  it('keeps the host out while it sends no offer (partitioned, crashed, or simply not offering this round)', () => {
    const cluster = clusterOf(hosts(3));
    expect(activeExclusions({ cluster }, ctx, [offerOf('h0'), offerOf('h1')])).toEqual(['h2']);
  });

  it('keeps the host out while its Portworx node is not online, even when Mesos offers it', () => {
    const cluster = clusterOf(hosts(3), { storage: false });
    for (const h of ['h0', 'h1']) learnStorage(cluster, h);
    learnStorage(cluster, 'h2', 'down');
    expect(activeExclusions({ cluster }, ctx, [offerOf('h2')])).toEqual(['h2']);
  });

  it('keeps the host out while the master has the offering agent unreachable', () => {
    const cluster = clusterOf(hosts(3));
    cluster.markUnreachable(agentIdOf('h2'), true);
    expect(activeExclusions({ cluster }, ctx, [offerOf('h2')])).toEqual(['h2']);
  });

  it('keeps the host out after an operator\'s `pod replace`: that host never failed, the operator asked for a move', () => {
    const cluster = clusterOf(hosts(3));
    const replaced = { ...ctx, failure: { kind: 'permanent' as const, trigger: 'operator-replace' as const, reason: 'operator requested replace', excludeHost: 'h2' } };
    expect(activeExclusions({ cluster }, replaced, [offerOf('h2')])).toEqual(['h2']);
  });

  it('lets the host back once it offers again and its node is online (a healed partition: same agent id)', () => {
    const cluster = clusterOf(hosts(3));
    expect(activeExclusions({ cluster }, ctx, [offerOf('h2')])).toEqual([]);
  });

  it('matches a rebooted host by hostname: a new agent id, the old task died with the host', () => {
    const cluster = clusterOf(hosts(3));
    cluster.learnAgent({ agentId: 'agent-h2-rebooted', hostname: 'h2' });
    const taskState = () => 'TASK_RUNNING';
    expect(activeExclusions({ cluster, taskState }, ctx, [offerOf('h2', 'agent-h2-rebooted')])).toEqual([]);
  });

  it('waits while the old task is reported alive on that agent: the stray killer ends it first', () => {
    const cluster = clusterOf(hosts(3));
    let state = 'TASK_RUNNING';
    const taskState = (id: string) => (id === oldTask.taskId ? state : undefined);
    expect(activeExclusions({ cluster, taskState }, ctx, [offerOf('h2')])).toEqual(['h2']);
    state = 'TASK_KILLED';
    expect(activeExclusions({ cluster, taskState }, ctx, [offerOf('h2')])).toEqual([]);
  });

  it('does not wait on an old task last seen unreachable: the fence detached its volumes, and it is killed as a stray when it reports', () => {
    const cluster = clusterOf(hosts(3));
    expect(activeExclusions({ cluster, taskState: () => 'TASK_UNREACHABLE' }, ctx, [offerOf('h2')])).toEqual([]);
  });

  it('leaves other exclusions alone', () => {
    const cluster = clusterOf(hosts(4));
    const two = { excludeHosts: ['h2', 'h3'], lastTask: oldTask };
    expect(activeExclusions({ cluster }, two, [offerOf('h2')])).toEqual(['h3']);
  });
});

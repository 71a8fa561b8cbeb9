import { describe, expect, it } from 'vitest';
import {
  buildPlacementIndex,
  constraintsStage,
  prepareStageContext,
  type ClusterView,
  type Offer,
  type PlacementConstraint,
} from '../../src/placement';
import { makeCluster, makeRequest, placePods } from './fixtures';

// Six agents: agent-i in rack-(i%3), zone-(i%2). rack-0 = agent-0, agent-3.
const base = makeCluster({ agents: 6, racks: 3, zones: 2 });

function judge(constraints: PlacementConstraint[], offer: Offer, view: ClusterView = base.view) {
  const index = buildPlacementIndex(view);
  return constraintsStage.explain(offer, prepareStageContext(makeRequest({ constraints, index: 9 }), index));
}
const offer = (i: number) => base.offers[i]!;

describe('constraints stage', () => {
  it('passes with no constraints', () => {
    expect(judge([], offer(0))).toEqual({ stage: 'constraints', pass: true, reason: 'no constraints' });
  });

  describe('UNIQUE', () => {
    const view = placePods(base.view, 'node', { 'agent-0': ['node-0'] });
    const c: PlacementConstraint[] = [{ field: 'hostname', operator: 'UNIQUE' }];
    it('refuses a host that already runs a pod of the same type', () => {
      expect(judge(c, offer(0), view)).toMatchObject({ pass: false, reason: 'hostname:UNIQUE fails: 1 node pod(s) already on hostname=agent-0' });
    });
    it('accepts a host without one', () => {
      expect(judge(c, offer(1), view).pass).toBe(true);
    });
    it('counts only pods of the same type', () => {
      const other = placePods(base.view, 'seed', { 'agent-0': ['seed-0'] });
      expect(judge(c, offer(0), other).pass).toBe(true);
    });
    it('treats @hostname like hostname', () => {
      expect(judge([{ field: '@hostname', operator: 'UNIQUE' }], offer(0), view).pass).toBe(false);
    });
    it('applies to attributes: one pod per rack', () => {
      const rackC: PlacementConstraint[] = [{ field: 'rack', operator: 'UNIQUE' }];
      expect(judge(rackC, offer(3), view).pass).toBe(false); // agent-3 shares rack-0 with agent-0
      expect(judge(rackC, offer(4), view).pass).toBe(true);
    });
  });

  describe('MAX_PER', () => {
    const view = placePods(base.view, 'node', { 'agent-0': ['node-0'], 'agent-3': ['node-1'] });
    it('allows a group below the maximum', () => {
      expect(judge([{ field: 'rack', operator: 'MAX_PER', value: '3' }], offer(0), view).pass).toBe(true);
    });
    it('refuses a group at the maximum', () => {
      const out = judge([{ field: 'rack', operator: 'MAX_PER', value: '2' }], offer(0), view);
      expect(out).toMatchObject({ pass: false, reason: 'rack:MAX_PER:2 fails: rack=rack-0 already has 2 node pod(s), at most 2' });
    });
  });

  describe('GROUP_BY', () => {
    const view = placePods(base.view, 'node', { 'agent-0': ['node-0'] }); // zone-0 has 1, zone-1 has 0
    const c: PlacementConstraint[] = [{ field: '@zone', operator: 'GROUP_BY' }];
    it('refuses the fuller group while another group has fewer pods', () => {
      expect(judge(c, offer(2), view)).toMatchObject({ pass: false });
      expect(judge(c, offer(2), view).reason).toMatch(/zone=zone-0 has 1 node pod\(s\) while some @zone has 0/);
    });
    it('accepts a group with the fewest pods', () => {
      expect(judge(c, offer(1), view).pass).toBe(true);
    });
    it('accepts any group once the groups are even', () => {
      const even = placePods(view, 'node', { 'agent-1': ['node-1'] });
      expect(judge(c, offer(2), even).pass).toBe(true);
      expect(judge(c, offer(3), even).pass).toBe(true);
    });
    it('counts unseen groups as empty when told there are more groups than known', () => {
      const even = placePods(view, 'node', { 'agent-1': ['node-1'] });
      expect(judge([{ field: '@zone', operator: 'GROUP_BY', value: '3' }], offer(2), even).pass).toBe(false);
    });
  });

  describe('CLUSTER', () => {
    it('with a value, accepts only agents with that value', () => {
      const c: PlacementConstraint[] = [{ field: 'rack', operator: 'CLUSTER', value: 'rack-1' }];
      expect(judge(c, offer(1)).pass).toBe(true);
      expect(judge(c, offer(2))).toMatchObject({ pass: false, reason: 'rack:CLUSTER:rack-1 fails: rack=rack-2, wanted rack-1' });
    });
    it('without a value, lets the first pod choose and keeps the rest with it', () => {
      const c: PlacementConstraint[] = [{ field: 'rack', operator: 'CLUSTER' }];
      expect(judge(c, offer(2)).pass).toBe(true);
      const view = placePods(base.view, 'node', { 'agent-1': ['node-0'] });
      expect(judge(c, offer(4), view).pass).toBe(true); // agent-4 is in rack-1 too
      expect(judge(c, offer(2), view).pass).toBe(false);
    });
  });

  describe('LIKE and UNLIKE', () => {
    it('LIKE matches the whole value against the regex', () => {
      expect(judge([{ field: 'rack', operator: 'LIKE', value: 'rack-[01]' }], offer(1)).pass).toBe(true);
      expect(judge([{ field: 'rack', operator: 'LIKE', value: 'rack-[01]' }], offer(2)).pass).toBe(false);
      expect(judge([{ field: 'rack', operator: 'LIKE', value: 'rack' }], offer(1)).pass).toBe(false);
    });
    it('UNLIKE refuses matching values', () => {
      expect(judge([{ field: '@region', operator: 'UNLIKE', value: 'region-.*' }], offer(1)).pass).toBe(false);
      expect(judge([{ field: '@region', operator: 'UNLIKE', value: 'eu-.*' }], offer(1)).pass).toBe(true);
    });
  });

  describe('IS and IS_NOT', () => {
    it('IS wants exactly the value', () => {
      expect(judge([{ field: '@zone', operator: 'IS', value: 'zone-1' }], offer(1)).pass).toBe(true);
      expect(judge([{ field: '@zone', operator: 'IS', value: 'zone-1' }], offer(2)).pass).toBe(false);
    });
    it('IS_NOT refuses exactly the value', () => {
      expect(judge([{ field: 'hostname', operator: 'IS_NOT', value: 'agent-1' }], offer(1)).pass).toBe(false);
      expect(judge([{ field: 'hostname', operator: 'IS_NOT', value: 'agent-1' }], offer(2)).pass).toBe(true);
    });
  });

  describe('an agent without the attribute', () => {
    it('is refused by every operator but UNLIKE (Marathon semantics)', () => {
      const ops: PlacementConstraint[] = [
        { field: 'gpu', operator: 'UNIQUE' },
        { field: 'gpu', operator: 'CLUSTER' },
        { field: 'gpu', operator: 'GROUP_BY' },
        { field: 'gpu', operator: 'MAX_PER', value: '1' },
        { field: 'gpu', operator: 'LIKE', value: '.*' },
        { field: 'gpu', operator: 'IS', value: 'x' },
        { field: 'gpu', operator: 'IS_NOT', value: 'x' },
      ];
      for (const c of ops) expect(judge([c], offer(0)), c.operator).toMatchObject({ pass: false, reason: `${c.field}:${c.operator}${c.value ? `:${c.value}` : ''} fails: agent has no gpu` });
      expect(judge([{ field: 'gpu', operator: 'UNLIKE', value: '.*' }], offer(0)).pass).toBe(true);
    });
  });

  it('lists every failing constraint in the reason', () => {
    const view = placePods(base.view, 'node', { 'agent-0': ['node-0'] });
    const out = judge(
      [
        { field: 'hostname', operator: 'UNIQUE' },
        { field: '@zone', operator: 'IS', value: 'zone-1' },
      ],
      offer(0),
      view,
    );
    expect(out.reason.split('; ')).toHaveLength(2);
  });
});

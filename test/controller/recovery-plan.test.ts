import { describe, expect, it } from 'vitest';
import { recoveryPlanView } from '../../src/controller/recovery-plan';

const calm = { paused: false, reason: null, active: [], queued: [] };

describe('the recovery plan shows what is being recovered and why nothing moves', () => {
  it('is COMPLETE with no step when no pod is recovering', () => {
    expect(recoveryPlanView([], calm)).toMatchObject({ name: 'recovery', status: 'COMPLETE', errors: [], phases: [{ steps: [] }] });
  });

  it('has one step per recovering pod, by stage', () => {
    const view = recoveryPlanView(
      [
        { name: 'node-2', stage: 'waiting', reason: 'waiting for a replacement slot' },
        { name: 'node-0', stage: 'replacing', reason: 'fencing the old attachment' },
        { name: 'node-1', stage: 'probation', reason: 'host agent-2 offline in Portworx: on probation' },
      ],
      { paused: false, reason: null, active: ['node-0'], queued: ['node-2'] },
    );
    expect(view.status).toBe('IN_PROGRESS');
    expect(view.phases[0]!.steps).toEqual([
      { name: 'node-0', status: 'STARTING', message: 'fencing the old attachment' },
      { name: 'node-1', status: 'PENDING', message: 'host agent-2 offline in Portworx: on probation' },
      { name: 'node-2', status: 'WAITING', message: 'waiting for a replacement slot' },
    ]);
  });

  it('is WAITING while automatic replacement is paused, and says why in errors and on each queued step', () => {
    const reason = 'automatic replacement paused: 3 of 6 Portworx nodes went offline within 60 s';
    const view = recoveryPlanView(
      [{ name: 'node-0', stage: 'waiting', reason: 'waiting for a replacement slot' }],
      { paused: true, reason, active: [], queued: ['node-0'] },
    );
    expect(view.status).toBe('WAITING');
    expect(view.errors).toEqual([reason]);
    expect(view.phases[0]!.steps[0]!.message).toContain(reason);
  });
});

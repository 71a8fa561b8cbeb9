import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { pauseWorkflow, type WorkflowPlan } from '../../machines/workflow.types';
import { phaseViewSchema, planViewSchema } from '../../src/api/views';
import { renderPlanStatus } from '../../src/cli/plan.command';
import { planProgressLine, renderPlanList } from '../../src/cli/render';
import { workflowPlanView } from '../../src/workflows/workflow-view';

const step = (name: string) => ({ name, effect: 'restartPod' as const, status: 'PENDING' as const, params: {} });
/** An update plan of two phases, as a config update of cassandra seeds then nodes has it. */
function update(): WorkflowPlan {
  return {
    name: 'update',
    id: 'cfg-1',
    params: {},
    paused: false,
    error: null,
    phases: [
      { name: 'seed-update', strategy: 'serial', steps: [step('seed-0'), step('seed-1')] },
      { name: 'node-update', strategy: 'serial', steps: [step('node-0')] },
    ],
  };
}

describe('workflow plans (update, sidecar, restore) show a phase paused on its own', () => {
  it('the view says which phase is paused; the plan is not', () => {
    const view = workflowPlanView('update', pauseWorkflow(update(), 'node-update'));
    expect(view.paused).toBe(false);
    expect(view.phases.map((p) => [p.name, p.paused])).toEqual([
      ['seed-update', false],
      ['node-update', true],
    ]);
  });

  it('the reply schema keeps the phase pause (it used to drop it as an unknown field)', () => {
    const view = workflowPlanView('update', pauseWorkflow(update(), 'node-update'));
    expect(phaseViewSchema.parse(view.phases[1]).paused).toBe(true);
    expect(planViewSchema.parse(view).phases.map((p) => p.paused)).toEqual([false, true]);
    // An older scheduler does not say: still a valid reply.
    expect(phaseViewSchema.parse({ name: 'x', strategy: 'serial', status: 'PENDING', steps: [] }).paused).toBeUndefined();
  });

  it('update status: the paused phase reads WAITING (paused)', () => {
    const text = renderPlanStatus(planViewSchema.parse(workflowPlanView('update', pauseWorkflow(update(), 'node-update'))));
    expect(text.split('\n').find((l) => l.startsWith('node-update'))).toMatch(/^node-update \(serial\)\s+WAITING \(paused\)\s+node-0\s+WAITING/);
    expect(text.split('\n').filter((l) => l.startsWith('seed-update')).join('\n')).not.toContain('(paused)');
  });
});

describe('plan list: the PAUSED column', () => {
  const list = (plans: WorkflowPlan[]) => renderPlanList(z.array(planViewSchema).parse(plans.map((p) => workflowPlanView(p.name, p))));
  const pausedCell = (text: string) => text.split('\n')[1]!.split(/\s{2,}/)[2];

  it('says `phase P` when only a phase is paused, `phases P, Q` for several', () => {
    expect(pausedCell(list([pauseWorkflow(update(), 'node-update')]))).toBe('phase node-update');
    expect(pausedCell(list([pauseWorkflow(pauseWorkflow(update(), 'seed-update'), 'node-update')]))).toBe('phases seed-update, node-update');
  });

  it('says yes for a paused plan, no when nothing is paused', () => {
    expect(pausedCell(list([pauseWorkflow(update())]))).toBe('yes');
    expect(pausedCell(list([update()]))).toBe('no');
  });
});

describe('the progress line (plan pause/resume, scale, plan start)', () => {
  const line = (p: WorkflowPlan) => planProgressLine(planViewSchema.parse(workflowPlanView(p.name, p)));

  it('ends with the phase paused on its own, or [paused] for the plan, or nothing', () => {
    expect(line(pauseWorkflow(update(), 'node-update'))).toMatch(/ \[phase node-update paused\]$/);
    expect(line(pauseWorkflow(update()))).toMatch(/ \[paused\]$/);
    expect(line(update())).not.toContain('paused');
  });
});

import { describe, expect, it } from 'vitest';
import { buildPlan, pausePlan, type Plan } from '../../machines/plan';
import { renderPlanStatus, planStatusSchema } from '../../src/cli/plan.command';
import { CONSOLE_HTML } from '../../src/http/console-page';
import { CONSOLE_SCRIPT } from '../../src/http/console-script';
import { buildConsoleState, type ConsoleExtras } from '../../src/http/console-state';
import { planView } from '../../src/workflows/plan-views';
import { fakeModel, HEALTHY } from '../http/console-fixtures';

/** A deploy plan of journal nodes then name nodes, as HDFS has it. */
function deploy(): Plan {
  const pods = [0, 1, 2].map((index) => ({ podType: 'journal', index })).concat([0, 1].map((index) => ({ podType: 'name', index })));
  return buildPlan('deploy', { strategy: 'serial', phases: [{ name: 'journal-deploy', podType: 'journal' }, { name: 'name-deploy', podType: 'name', dependsOn: ['journal-deploy'] }] }, pods);
}

const extras: ConsoleExtras = { health: HEALTHY, events: [], recoveries: [], recovering: [], rates: [], now: Date.parse('2025-01-01T12:00:00Z') };

describe('a phase paused on its own shows in the plan view, plan status and the console', () => {
  it('plan view: the paused phase says so, the others and the plan do not', () => {
    const view = planView(pausePlan(deploy(), 'name-deploy'));
    expect(view.paused).toBe(false);
    expect(view.phases.map((p) => [p.name, p.paused])).toEqual([
      ['journal-deploy', false],
      ['name-deploy', true],
    ]);
  });

  it('plan status: the paused phase reads WAITING (paused); a paused plan says it in its head line instead', () => {
    const text = renderPlanStatus(planStatusSchema.parse(planView(pausePlan(deploy(), 'name-deploy'))));
    const rows = text.split('\n').filter((l) => l.startsWith('name-deploy'));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(/^name-deploy \(serial\)\s+WAITING \(paused\)\s+name-\d\s+WAITING/);
    expect(text.split('\n').find((l) => l.startsWith('journal-deploy'))).not.toContain('(paused)');
    const whole = renderPlanStatus(planStatusSchema.parse(planView(pausePlan(deploy()))));
    expect(whole.split('\n')[0]).toBe('plan deploy: WAITING (paused)');
    expect(whole).not.toMatch(/deploy \(serial\)\s+\S+ \(paused\)/);
  });

  it('console: the paused phase is shown as paused and its steps held; the running phase is not', async () => {
    const model = fakeModel({ planViews: [planView(pausePlan(deploy(), 'name-deploy'))] });
    const state = await buildConsoleState(model, extras);
    const [journal, name] = state.plans[0]!.phases;
    expect(name).toMatchObject({ name: 'name-deploy', text: 'paused', tone: 'warn', paused: true });
    expect(journal).toMatchObject({ name: 'journal-deploy', paused: false });
    expect(journal!.text).not.toBe('paused');
    expect(state.plans[0]).toMatchObject({ paused: false });
  });
});

describe('the console page draws held steps', () => {
  it('styles the class the script gives the steps of a paused phase or plan (the old rule .step.paused matched nothing)', () => {
    expect(CONSOLE_SCRIPT).toContain(`<div class="steps' + (paused ? ' paused' : '')`);
    expect(CONSOLE_HTML).toMatch(/\.steps\.paused \.step\{[^}]*border-style:dashed/);
  });
});

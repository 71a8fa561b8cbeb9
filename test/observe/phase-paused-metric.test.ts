import { describe, expect, it } from 'vitest';
import { buildPlan, pausePlan, type Plan } from '../../machines/plan';
import { buildConsoleState, type ConsoleExtras } from '../../src/http/console-state';
import { setConsoleGauges } from '../../src/http/console-gauges';
import { createMetrics } from '../../src/observe/metrics';
import { planView } from '../../src/workflows/plan-views';
import { fakeModel, HEALTHY } from '../http/console-fixtures';

/** A deploy plan of journal nodes then name nodes, as HDFS has it. */
function deploy(): Plan {
  const pods = [0, 1].map((index) => ({ podType: 'journal', index })).concat([0, 1].map((index) => ({ podType: 'name', index })));
  return buildPlan('deploy', { strategy: 'serial', phases: [{ name: 'journal-deploy', podType: 'journal' }, { name: 'name-deploy', podType: 'name', dependsOn: ['journal-deploy'] }] }, pods);
}

const extras: ConsoleExtras = { health: HEALTHY, events: [], recoveries: [], recovering: [], rates: [], now: Date.parse('2025-01-01T12:00:00Z') };

/** The /metrics text after one scrape-time update from the console state of `plan`. */
async function scrape(plan: Plan): Promise<string> {
  const metrics = createMetrics('svc');
  setConsoleGauges(metrics, await buildConsoleState(fakeModel({ planViews: [planView(plan)] }), extras), extras.now);
  return metrics.registry.metrics();
}

describe('pxfw_phase_paused{plan,phase}', () => {
  it('is 1 for a phase paused on its own, 0 for the others, while pxfw_plan_paused stays 0', async () => {
    const body = await scrape(pausePlan(deploy(), 'name-deploy'));
    expect(body).toMatch(/pxfw_phase_paused\{plan="deploy",phase="name-deploy",service="svc"\} 1/);
    expect(body).toMatch(/pxfw_phase_paused\{plan="deploy",phase="journal-deploy",service="svc"\} 0/);
    expect(body).toMatch(/pxfw_plan_paused\{plan="deploy",service="svc"\} 0/);
  });

  it('is 1 for every phase of a paused plan (its steps are held too), and 0 everywhere when nothing is paused', async () => {
    const whole = await scrape(pausePlan(deploy()));
    expect(whole).toMatch(/pxfw_phase_paused\{plan="deploy",phase="journal-deploy",service="svc"\} 1/);
    expect(whole).toMatch(/pxfw_phase_paused\{plan="deploy",phase="name-deploy",service="svc"\} 1/);
    expect(whole).toMatch(/pxfw_plan_paused\{plan="deploy",service="svc"\} 1/);
    const none = await scrape(deploy());
    expect(none.match(/pxfw_phase_paused\{[^}]*\} (\d)/g)?.map((l) => l.at(-1))).toEqual(['0', '0']);
  });
});

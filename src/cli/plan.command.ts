import { InvalidArgumentError, type Command } from 'commander';
import { z } from 'zod';
import type { Binder } from './command-kit';
import * as render from './render';
import { planViewSchema } from '../api/views';

/** The reply of `plan status` (phases say whether they are paused themselves): the plan view. */
export const planStatusSchema = planViewSchema;
export type PlanStatusView = z.output<typeof planViewSchema>;

/**
 * `plan status` shows a phase paused on its own in its status column (`WAITING (paused)`): the
 * plan is not paused then, and its held steps would otherwise say WAITING with no reason.
 */
export function markPausedPhases(view: PlanStatusView): PlanStatusView {
  return { ...view, phases: view.phases.map((ph) => (ph.paused && !view.paused ? { ...ph, status: `${ph.status} (paused)` } : ph)) };
}

/** The plan as `plan status` and `update status` print it. */
export function renderPlanStatus(view: PlanStatusView): string {
  return render.renderPlan(markPausedPhases(view));
}

/** `-p KEY=VALUE`, repeatable: the parameters of a sidecar plan. */
export function collectParameter(text: string, acc: Record<string, string> = {}): Record<string, string> {
  const i = text.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`expected KEY=VALUE (e.g. KEYSPACE=ks), got '${text}'`);
  return { ...acc, [text.slice(0, i)]: text.slice(i + 1) };
}

function viewCommands(plan: Command, on: Binder): void {
  plan.command('list').description('list plans and their progress').action(on(async (s) => {
    const plans = await s.call('plan.list', {}, z.array(planViewSchema));
    s.print(render.renderPlanList(plans));
  }));
  plan
    .command('status [plan]')
    .description('show a plan (default deploy); a step that cannot progress says why')
    .option('--watch', 'follow progress until COMPLETE, ERROR or --timeout')
    .action(on(async (s, [name = 'deploy'], opts) => {
      if (opts.watch) {
        const result = await s.watch(name);
        // With --json the plan as it ended; a failed or timed-out watch printed its error object instead.
        if (s.json && result?.outcome === 'complete') s.print('');
        return;
      }
      await s.noteUninstalled();
      s.print(renderPlanStatus(await s.call('plan.status', { plan: name }, planStatusSchema)));
    }));
}

function pauseResumeCommands(plan: Command, on: Binder): void {
  for (const verb of ['pause', 'resume'] as const) {
    plan
      .command(`${verb} [plan]`)
      .description(`${verb} a plan (default deploy), or one phase of it with --phase`)
      .option('--phase <phase>', `${verb} this phase only`)
      .action(on(async (s, [name = 'deploy'], opts) => {
        const phase = typeof opts.phase === 'string' ? opts.phase : undefined;
        const view = await s.call(`plan.${verb}`, { plan: name, ...(phase ? { phase } : {}) }, planViewSchema);
        const what = phase ? `phase ${phase} of plan ${view.name}` : `plan ${view.name}`;
        const state = phase ? (verb === 'pause' ? 'paused' : 'resumed') : view.paused ? 'paused' : 'running';
        s.print(`${what}: ${state}\n${render.planProgressLine(view)}`);
      }));
  }
}

function stepCommands(plan: Command, on: Binder): void {
  for (const verb of ['force-complete', 'restart'] as const) {
    plan
      .command(`${verb} <plan> [phase] [step]`)
      .description(verb === 'restart' ? 'restart a plan, phase or step (destructive)' : 'mark a plan, phase or step complete (destructive)')
      .action(on(async (s, [name, phase, step]) => {
        const target = [name, phase, step].filter(Boolean).join('/');
        const body = { plan: name, ...(phase ? { phase } : {}), ...(step ? { step } : {}), ...s.confirm(`plan ${verb} ${target}`) };
        const view = await s.call(`plan.${verb}`, body, planViewSchema);
        s.print(`plan ${target}: ${verb} accepted\n${render.planProgressLine(view)}`);
      }));
  }
}

function sidecarCommands(plan: Command, on: Binder): void {
  plan
    .command('start <plan>')
    .description('start a sidecar plan the spec declares (e.g. repair, cleanup)')
    .option('-p, --parameter <KEY=VALUE>', 'a parameter of the plan (repeatable)', collectParameter, {})
    .option('--wait', 'follow the plan until COMPLETE, ERROR or --timeout')
    .action(on(async (s, [name], opts) => {
      const view = await s.call('plan.start', { plan: name, parameters: opts.parameter ?? {} }, planViewSchema);
      s.print(`plan ${view.name}: started\n${render.planProgressLine(view)}`);
      if (opts.wait) await s.watch(view.name);
    }));
  plan
    .command('stop <plan>')
    .description('stop a sidecar plan (it stays paused; start begins anew)')
    .action(on(async (s, [name]) => {
      const view = await s.call('plan.stop', { plan: name }, planViewSchema);
      s.print(`plan ${view.name}: stopped\n${render.planProgressLine(view)}`);
    }));
}

/** `pxfw <service> plan …`: the deploy, recovery, decommission, update, restore, uninstall and sidecar plans. */
export function planCommands(root: Command, on: Binder): void {
  const plan = root.command('plan').description('plans: deploy, recovery, decommission, update, restore, uninstall, and the spec\'s sidecar plans');
  viewCommands(plan, on);
  pauseResumeCommands(plan, on);
  stepCommands(plan, on);
  sidecarCommands(plan, on);
}

import type { Command } from 'commander';
import { z } from 'zod';
import type { Binder } from './command-kit';
import * as render from './render';
import { operationResultSchema, podInfoSchema, podViewSchema, scaleResultSchema } from '../api/views';

/** `pxfw <service> pod …`: pod instances. */
export function podCommands(root: Command, on: Binder): void {
  const pod = root.command('pod').description('pod instances');
  pod.command('list').description('list pods').action(on(async (s) => {
    await s.noteUninstalled();
    const pods = await s.call('pod.list', {}, z.array(podViewSchema));
    s.print(render.renderPodList(pods));
  }));
  pod.command('status [pod]').description('show the status of one pod or all').action(on(async (s, [name]) => {
    if (!name) await s.noteUninstalled();
    const pods = await s.call('pod.status', name ? { pod: name } : {}, z.array(podViewSchema));
    s.print(render.renderPodStatus(pods));
  }));
  pod.command('info <pod>').description('show a pod in detail: task, agent, volumes, spec').action(on(async (s, [name]) => {
    const info = await s.call('pod.info', { pod: name }, podInfoSchema);
    s.print(render.renderPodInfo(info));
  }));
  for (const verb of ['restart', 'replace'] as const) {
    const what = verb === 'restart' ? 'restart a pod in place (destructive)' : 'move a pod to another agent, re-attaching its volumes (destructive)';
    pod.command(`${verb} <pod>`).description(what).action(on(async (s, [name]) => {
      const body = { pod: name, ...s.confirm(`pod ${verb} ${name}`) };
      const result = await s.call(`pod.${verb}`, body, operationResultSchema);
      s.print(result.message);
    }));
  }
}

/** COUNT stays a string when it is not a number, so the scheduler names the bad field. */
function countArg(text: string): number | string {
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

/** `pxfw <service> scale POD_TYPE COUNT`. */
export function scaleCommand(root: Command, on: Binder): void {
  root
    .command('scale <podType> <count>')
    .description('set the number of pods of a type (destructive: scaling down decommissions pods)')
    .option('--wait', 'follow the resulting plan until COMPLETE, ERROR or --timeout')
    .action(on(async (s, [podType, count], opts) => {
      const body = { podType, count: countArg(count ?? ''), ...s.confirm(`scale ${podType} to ${count}`) };
      const result = await s.call('scale', body, scaleResultSchema);
      s.print(render.renderScale(result));
      if (opts.wait && result.plan) await s.watch(result.plan.name);
    }));
}

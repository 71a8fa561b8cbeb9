import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliUsageError, type CliSession } from './cli-session';
import type { Binder } from './command-kit';
import * as render from './render';
import { configShowSchema, configUpdateResultSchema, planViewSchema } from '../api/views';
import { planStatusSchema, renderPlanStatus } from './plan.command';
import { classifyUpdateFile, defaultPackagesDir, renderUpdateSpec } from './update-options';

/** The persisted plan `config update` / `update start` runs (src/controller/config-update-plan.ts UPDATE_PLAN). */
const UPDATE_PLAN = 'update';

async function readUpdateFile(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((cause: Error) => {
    throw new CliUsageError(`cannot read ${file}: ${cause.message}`, { cause });
  });
}

/** The spec YAML `update start` sends: FILE itself, or the package rendered with its options. */
async function specFromFile(s: CliSession, file: string, opts: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<string> {
  const input = classifyUpdateFile(await readUpdateFile(file), file);
  if (input.kind === 'spec') return input.yaml;
  const current = await s.call('config.show', {}, configShowSchema);
  const rendered = await renderUpdateSpec({
    service: s.service,
    currentYaml: current.yaml,
    options: input.options,
    ...(typeof opts.package === 'string' ? { packageRef: opts.package } : {}),
    replace: opts.replace === true,
    packagesDir: defaultPackagesDir(env),
  });
  s.progress(`${s.service}: options ${rendered.merged ? 'merged over the recorded ones and ' : ''}rendered with ${rendered.package}`);
  return rendered.yaml;
}

async function updateStart(s: CliSession, file: string, opts: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<void> {
  const confirm = s.confirm(`update start from ${file}`);
  const yaml = await specFromFile(s, file, opts, env);
  const result = await s.call('config.update', { yaml, ...confirm }, configUpdateResultSchema);
  s.print(`${render.renderConfigUpdate(result)}\nfollow it: pxfw ${s.service} update status`);
  if (opts.wait && result.changedPods.length > 0) await s.watch(UPDATE_PLAN);
}

/**
 * `pxfw <service> update start|status|pause|resume`: the dcos-commons update commands, on the
 * persisted `update` plan that a new configuration starts.
 */
export function updateCommands(root: Command, on: Binder, env: NodeJS.ProcessEnv = process.env): void {
  const update = root.command('update').description('update the service to new options or a new spec (the update plan)');
  update
    .command('start')
    .description('make new package options (JSON, as dcos package install takes) or a spec (YAML) the target (destructive: pods roll)')
    .requiredOption('--options <FILE>', 'package options JSON (merged over the recorded options, as Cosmos does) or a whole spec YAML')
    .option('--package <NAME|DIR>', 'the package to render the options with (default: the one the service was installed from)')
    .option('--replace', 'the options given are all of them: do not merge them over the recorded ones')
    .option('--wait', 'follow the update plan until it completes')
    .action(on(async (s, _args, opts) => updateStart(s, String(opts.options), opts, env)));
  update
    .command('status')
    .description('show the update plan')
    .option('--watch', 'follow progress until COMPLETE, ERROR or --timeout')
    .action(on(async (s, _args, opts) => {
      if (opts.watch) {
        const result = await s.watch(UPDATE_PLAN);
        if (s.json && result?.outcome === 'complete') s.print('');
        return;
      }
      s.print(renderPlanStatus(await s.call('plan.status', { plan: UPDATE_PLAN }, planStatusSchema)));
    }));
  for (const verb of ['pause', 'resume'] as const) {
    update
      .command(verb)
      .description(verb === 'pause' ? 'pause the update plan (no new pod restarts)' : 'resume the update plan (a failed step is tried again)')
      .action(on(async (s) => {
        const view = await s.call(`plan.${verb}`, { plan: UPDATE_PLAN }, planViewSchema);
        s.print(`plan ${view.name}: ${view.paused ? 'paused' : 'running'}\n${render.planProgressLine(view)}`);
      }));
  }
}

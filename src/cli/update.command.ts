import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliUsageError, type CliSession } from './cli-session';
import type { Binder } from './command-kit';
import * as render from './render';
import { configShowSchema, configUpdateResultSchema, planViewSchema } from '../api/views';
import { planStatusSchema, renderPlanStatus } from './plan.command';
import { classifyUpdateFile, defaultPackagesDir, renderUpdateSpec, type RenderedUpdate } from './update-options';

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
  for (const line of updateNotes(s.service, file, rendered)) s.progress(line);
  return rendered.yaml;
}

/** What `update start --options` tells the operator before sending: the base of the merge, and what changes. */
export function updateNotes(service: string, file: string, rendered: RenderedUpdate): string[] {
  const lines: string[] = [];
  if (rendered.base === 'recorded') lines.push(`${service}: options merged over the recorded ones and rendered with ${rendered.package}`);
  else if (rendered.base === 'replace') lines.push(`${service}: options rendered with ${rendered.package}`);
  else {
    lines.push(
      `${service}: no install options are recorded for it (it runs a spec given as a file, or was installed before pxfw recorded them): ` +
        `the package defaults of ${rendered.package} are the base, as for an install without options, and ${file} goes over them ` +
        '(settings the running spec has that the file does not set go back to the defaults; the changes follow)',
    );
  }
  if (rendered.changes) lines.push(rendered.changes.length > 0 ? `changes: ${rendered.changes.join('; ')}` : 'changes: none (the rendered spec is the running one)');
  return lines;
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
    .requiredOption('--options <FILE>', 'package options JSON (merged over the recorded options as Cosmos does; none recorded: over the package defaults) or a whole spec YAML')
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

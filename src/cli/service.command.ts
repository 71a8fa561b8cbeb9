import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { CliSession, CliUsageError, type GlobalOptions, type ServiceCommandIo } from './cli-session';
import * as render from './render';
import { assertServiceName } from '../api/subjects';
import {
  configShowSchema,
  configUpdateResultSchema,
  endpointViewSchema,
  offerEvaluationSchema,
  operationResultSchema,
  planViewSchema,
  podInfoSchema,
  podViewSchema,
  scaleResultSchema,
  serviceStatusSchema,
  snapshotViewSchema,
} from '../api/views';

export type { ServiceCommandIo } from './cli-session';

type Action = (session: CliSession, args: (string | undefined)[], opts: Record<string, unknown>) => Promise<void>;

/** Wrap an action: build the session from the global options, report errors as one line. */
function bind(service: string, io: ServiceCommandIo, state: { session?: CliSession }, action: Action) {
  return async (...params: unknown[]): Promise<void> => {
    const cmd = params[params.length - 1] as Command;
    const opts = cmd.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
    const session = new CliSession(service, io, opts);
    state.session = session;
    const args = params.slice(0, -2) as (string | undefined)[];
    try {
      await action(session, args, opts);
    } catch (err) {
      session.report(err);
    } finally {
      await session.close();
    }
  };
}

type Binder = (a: Action) => ReturnType<typeof bind>;

function planCommands(root: Command, on: Binder): void {
  const plan = root.command('plan').description('deployment plans: deploy, recovery, decommission, update, uninstall');
  plan.command('list').description('list plans and their progress').action(on(async (s) => {
    const plans = await s.call('plan.list', {}, z.array(planViewSchema));
    s.print(render.renderPlanList(plans));
  }));
  plan
    .command('status [plan]')
    .description('show a plan (default deploy)')
    .option('--watch', 'follow progress until COMPLETE, ERROR or --timeout')
    .action(on(async (s, [name = 'deploy'], opts) => {
      if (opts.watch) {
        const result = await s.watch(name);
        if (s.json && result?.plan) s.print('');
        return;
      }
      await s.noteUninstalled();
      const view = await s.call('plan.status', { plan: name }, planViewSchema);
      s.print(render.renderPlan(view));
    }));
  for (const [verb, label] of [['pause', 'pause'], ['resume', 'resume']] as const) {
    plan.command(`${verb} [plan]`).description(`${label} a plan (default deploy)`).action(on(async (s, [name = 'deploy']) => {
      const view = await s.call(`plan.${verb}`, { plan: name }, planViewSchema);
      s.print(`plan ${view.name}: ${view.paused ? 'paused' : 'running'}\n${render.planProgressLine(view)}`);
    }));
  }
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

function podCommands(root: Command, on: Binder): void {
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

function scaleCommand(root: Command, on: Binder): void {
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

function snapshotCommands(root: Command, on: Binder): void {
  const snapshot = root.command('snapshot').description('consistent group snapshots of the service volumes');
  snapshot
    .command('create')
    .description('snapshot every volume (of the service or one pod type) in one consistency group')
    .option('--name <name>', 'snapshot name')
    .option('--pod-type <type>', 'only the volumes of this pod type')
    .action(on(async (s, _args, opts) => {
      const body = { ...(opts.name ? { name: opts.name } : {}), ...(opts.podType ? { podType: opts.podType } : {}) };
      s.progress(`creating snapshot of ${s.service} (waiting up to ${s.waitTimeoutMs / 1000} s)...`);
      const snap = await s.call('snapshot.create', body, snapshotViewSchema, s.waitTimeoutMs);
      s.print(render.renderSnapshot(snap));
    }));
  snapshot.command('list').description('list snapshots').action(on(async (s) => {
    const list = await s.call('snapshot.list', {}, z.array(snapshotViewSchema));
    s.print(render.renderSnapshotList(list));
  }));
  snapshot.command('restore <snapshot>').description('restore every volume from a snapshot (destructive)').action(on(async (s, [id]) => {
    const result = await s.call('snapshot.restore', { snapshot: id, ...s.confirm(`snapshot restore ${id}`) }, operationResultSchema, s.waitTimeoutMs);
    s.print(result.message);
  }));
}

function uninstallCommand(root: Command, on: Binder): void {
  root
    .command('uninstall')
    .description('remove the service: kill tasks, detach volumes, tear down the framework (destructive)')
    .option('--delete-volumes', 'also delete the Portworx volumes (default: keep them)')
    .option('--delete-snapshots', 'also delete the snapshots (default: keep them)')
    .option('--wait', 'follow the uninstall plan until it completes')
    .action(on(async (s, _args, opts) => {
      const body = { deleteVolumes: opts.deleteVolumes === true, deleteSnapshots: opts.deleteSnapshots === true, ...s.confirm('uninstall') };
      const result = await s.call('uninstall', body, operationResultSchema);
      s.print(result.message);
      if (opts.wait) await s.watch('uninstall', { goneMeansDone: true });
    }));
}

/** Follow the service after `reinstall` until it is active again, then its deploy plan. */
async function waitReinstalled(s: CliSession): Promise<void> {
  const end = Date.now() + s.waitTimeoutMs;
  for (;;) {
    const st = await s.call('status', {}, serviceStatusSchema);
    if (st.state.startsWith('active')) break;
    if (Date.now() > end) return s.fail(`timed out after ${s.waitTimeoutMs / 1000} s waiting for ${s.service} to become active (${st.state})`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await s.watch('deploy');
}

function lifecycleCommands(root: Command, on: Binder): void {
  root.command('status').description('what the service is: deploying, running, uninstalling or uninstalled (one line)').action(on(async (s) => {
    const st = await s.call('status', {}, serviceStatusSchema);
    s.print(render.renderServiceStatus(st));
  }));
  root
    .command('reinstall')
    .description('deploy an uninstalled service again: removes the tombstone its uninstall left (destructive)')
    .option('--wait', 'follow the deploy plan until it completes')
    .action(on(async (s, _args, opts) => {
      const result = await s.call('reinstall', { ...s.confirm('reinstall') }, operationResultSchema);
      s.print(result.message);
      if (opts.wait) await waitReinstalled(s);
    }));
}

function infoCommands(root: Command, on: Binder): void {
  root.command('endpoints').description('list the endpoints the service exposes').action(on(async (s) => {
    const list = await s.call('endpoints', {}, z.array(endpointViewSchema));
    s.print(render.renderEndpoints(list));
  }));
  root.command('debug').description('diagnostics').command('offers [pod]').description('why recent offers were accepted or declined').action(on(async (s, [name]) => {
    const list = await s.call('debug.offers', name ? { pod: name } : {}, z.array(offerEvaluationSchema));
    s.print(render.renderOffers(list));
  }));
}

function configCommands(root: Command, on: Binder): void {
  const config = root.command('config').description('the service spec');
  config.command('show').description('print the service spec (YAML), headed by the target configuration id and each pod\'s').action(on(async (s) => {
    const cfg = await s.call('config.show', {}, configShowSchema);
    s.print(render.renderConfigShow(cfg));
  }));
  config.command('update <file>').description('replace the service spec with FILE (destructive: pods roll)').action(on(async (s, [file]) => {
    const confirm = s.confirm(`config update from ${file}`);
    const yaml = await readFile(file ?? '', 'utf8').catch((cause: Error) => {
      throw new CliUsageError(`cannot read ${file}: ${cause.message}`, { cause });
    });
    const result = await s.call('config.update', { yaml, ...confirm }, configUpdateResultSchema);
    s.print(render.renderConfigUpdate(result));
  }));
  config.command('rollback').description('make the previous configuration the target again (destructive: pods roll back)').action(on(async (s) => {
    const confirm = s.confirm('config rollback');
    const result = await s.call('config.rollback', { ...confirm }, configUpdateResultSchema);
    s.print(render.renderConfigUpdate(result));
  }));
}

function build(program: Command, service: string, io: ServiceCommandIo, state: { session?: CliSession }): void {
  program
    .name(`pxfw ${service}`)
    .description(`operate the pxfw service '${service}' over NATS`)
    .option('--nats <url>', 'NATS server URL (env NATS_URL; credentials from NATS_CREDS, NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY, NATS_TLS_*)')
    .option('--json', 'print the raw JSON reply')
    .option('--timeout <seconds>', 'request timeout (default 30), or how long --watch/--wait follow a plan (default 600)')
    .option('--yes', 'confirm a destructive command')
    .option('--user <name>', 'who you are, for the audit log (default NATS_USER or the OS user)')
    .configureOutput({ writeOut: (t) => void io.out.write(t), writeErr: (t) => void io.err.write(t) });
  const on = (action: Action) => bind(service, io, state, action);
  planCommands(program, on);
  podCommands(program, on);
  scaleCommand(program, on);
  snapshotCommands(program, on);
  uninstallCommand(program, on);
  lifecycleCommands(program, on);
  infoCommands(program, on);
  configCommands(program, on);
}

/** Attach `pxfw <service> …` to the program main() builds for a service name. */
export function registerService(program: Command, service: string): void {
  const state: { session?: CliSession } = {};
  build(program, service, { out: process.stdout, err: process.stderr }, state);
  // Exit status of the last action; commander's own errors set it through CommanderError.
  program.hook('postAction', () => {
    if (state.session && state.session.exitCode !== 0) process.exitCode = state.session.exitCode;
  });
}

/**
 * Run `pxfw <service> …` and return the exit status. argv starts with the service name,
 * e.g. `['cassandra', 'pod', 'list', '--json']`.
 */
export async function runServiceCommand(argv: string[], io: ServiceCommandIo): Promise<number> {
  const [service, ...rest] = argv;
  try {
    assertServiceName(service ?? '');
  } catch (err) {
    io.err.write(`pxfw: ${(err as Error).message}\n`);
    return 1;
  }
  const program = new Command('pxfw').exitOverride();
  const state: { session?: CliSession } = {};
  build(program, service ?? '', io, state);
  try {
    await program.parseAsync(rest, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  return state.session?.exitCode ?? 0;
}

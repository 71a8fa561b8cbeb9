import type { Command } from 'commander';
import type { CliSession } from './cli-session';
import type { Binder } from './command-kit';
import * as render from './render';
import { operationResultSchema, serviceStatusSchema } from '../api/views';

/** `pxfw <service> uninstall`. */
export function uninstallCommand(root: Command, on: Binder): void {
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
    if (Date.now() > end) return s.fail(`timed out after ${s.waitTimeoutMs / 1000} s waiting for ${s.service} to become active (${st.state})`, 'WAIT_TIMEOUT');
    await new Promise((r) => setTimeout(r, 500));
  }
  await s.watch('deploy');
}

/** `pxfw <service> status` and `reinstall`. */
export function lifecycleCommands(root: Command, on: Binder): void {
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

import type { Command } from 'commander';
import { z } from 'zod';
import type { Binder } from './command-kit';
import * as render from './render';
import { operationResultSchema, snapshotViewSchema } from '../api/views';

/** `pxfw <service> snapshot create|list|restore`. */
export function snapshotCommands(root: Command, on: Binder): void {
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

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { CliUsageError } from './cli-session';
import type { Binder } from './command-kit';
import * as render from './render';
import { configListSchema, configShowSchema, configUpdateResultSchema, endpointViewSchema, offerEvaluationSchema, storedConfigSchema } from '../api/views';

function showCommands(config: Command, on: Binder): void {
  config.command('list').description('list the stored configurations (oldest first) and which is the target').action(on(async (s) => {
    s.print(render.renderConfigList(await s.call('config.list', {}, configListSchema)));
  }));
  config
    .command('show [id]')
    .description('print a configuration by id (or unique prefix); without ID the running spec, headed by the target id and each pod\'s')
    .action(on(async (s, [id]) => {
      if (id) return s.print(render.renderStoredConfig(await s.call('config.get', { id }, storedConfigSchema)));
      s.print(render.renderConfigShow(await s.call('config.show', {}, configShowSchema)));
    }));
  config
    .command('target')
    .description('print the target configuration (what every pod converges to)')
    .option('--id', 'print its id only (dcos-commons\' config target_id)')
    .action(on(async (s, _args, opts) => {
      const cfg = await s.call('config.show', {}, configShowSchema);
      if (opts.id) return s.print(cfg.target ?? 'unknown');
      s.print(`# target configuration: ${cfg.target ?? 'unknown'}\n${cfg.yaml.replace(/\n$/, '')}`);
    }));
}

function changeCommands(config: Command, on: Binder): void {
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

/** `pxfw <service> config list|show [ID]|target|update FILE|rollback`. */
export function configCommands(root: Command, on: Binder): void {
  const config = root.command('config').description('the service spec: stored configurations and the target');
  showCommands(config, on);
  changeCommands(config, on);
}

/** `pxfw <service> endpoints [NAME]` and `debug offers [POD]`. */
export function infoCommands(root: Command, on: Binder): void {
  root
    .command('endpoints [name]')
    .description('list the endpoints the service exposes; with NAME its addresses and DC/OS DNS names')
    .action(on(async (s, [name]) => {
      if (name) return s.print(render.renderEndpoint(await s.call('endpoints', { name }, endpointViewSchema)));
      s.print(render.renderEndpoints(await s.call('endpoints', {}, z.array(endpointViewSchema))));
    }));
  root.command('debug').description('diagnostics').command('offers [pod]').description('why recent offers were accepted or declined').action(on(async (s, [name]) => {
    const list = await s.call('debug.offers', name ? { pod: name } : {}, z.array(offerEvaluationSchema));
    s.print(render.renderOffers(list));
  }));
}

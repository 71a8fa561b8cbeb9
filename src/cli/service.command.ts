import type { Command } from 'commander';

// Placeholder until the service commands are built.
export function registerService(program: Command, service: string): void {
  program.action(() => {
    throw new Error(`service commands for '${service}' are not built yet`);
  });
}

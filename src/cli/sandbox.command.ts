import type { Command } from 'commander';

// Placeholder until this command is built; it registers nothing yet.
export function registerSandbox(_program: Command): void {}

import type { Command } from 'commander';

// Placeholder until this command is built; it registers nothing yet.
export function registerRun(_program: Command): void {}

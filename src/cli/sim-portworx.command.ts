import type { Command } from 'commander';

// Placeholder until this command is built; it registers nothing yet.
export function registerSimPortworx(_sim: Command): void {}

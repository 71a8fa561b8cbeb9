import type { Command } from 'commander';

// Placeholder until this command is built; it registers nothing yet.
export function registerAlertBridge(_program: Command): void {}

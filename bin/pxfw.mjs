#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx pxfw` needs no build step.
import { register } from 'tsx/esm/api';

// The sandbox prints the transitions for people; its components' info logs would drown them.
// Loggers are created at import time, so the level must be chosen before the import.
if (process.argv[2] === 'sandbox' && process.env.PXFW_LOG_LEVEL === undefined) process.env.PXFW_LOG_LEVEL = 'warn';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);

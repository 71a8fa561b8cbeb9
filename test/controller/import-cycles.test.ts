import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycles, importGraph } from '../helpers/import-graph';

const repo = fileURLToPath(new URL('../..', import.meta.url));

describe('the controller has no import cycles (issue 11: narrow ports, one composition root)', () => {
  const graph = importGraph(repo, ['src', 'machines']);

  it('no cycle runs through src/controller (the runtime, the router, the effects and the watches take ports)', () => {
    const controller = cycles(graph).filter((c) => c.some((f) => f.startsWith('src/controller/')));
    expect(controller).toEqual([]);
  });

  it('only the scheduler service and the operator verbs (operations, config update, restore) know the Runtime', () => {
    const importers = [...graph].filter(([, deps]) => deps.includes('src/controller/runtime.ts')).map(([f]) => f);
    expect(importers.filter((f) => f !== 'src/controller/scheduler-service.ts' && f !== 'src/controller/operations.ts' && !f.startsWith('src/controller/config-') && f !== 'src/controller/restore.ts')).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});

import { describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/controller/scheduler-service';
import type { Runtime } from '../../src/controller/runtime';
import type { RuntimeOperations } from '../../src/controller/operations';
import type { CommandService } from '../../src/api/command-service';
import { silentLogger } from './fixtures';

/** The service's parts: a runtime whose stop never ends (a KV write NATS never answers). */
function serviceWithHangingRuntime(stopGraceMs?: number): SchedulerService {
  const runtime = { logger: silentLogger(), stop: () => new Promise<void>(() => undefined) } as unknown as Runtime;
  const commands = { stop: async () => undefined } as unknown as CommandService;
  const make = SchedulerService as unknown as new (...args: unknown[]) => SchedulerService;
  return new make(runtime, {} as RuntimeOperations, undefined, commands, stopGraceMs);
}

describe('SchedulerService.stop', () => {
  it('given no grace, still ends within the default grace, naming the step it abandoned', async () => {
    const started = Date.now();
    const outcome = await serviceWithHangingRuntime(150).stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(outcome).toEqual({ clean: false, abandoned: ['scheduler (state writes, lease release)'] });
  });

  it('given a grace, ends within it', async () => {
    const started = Date.now();
    const outcome = await serviceWithHangingRuntime(60_000).stop({ graceMs: 100 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(outcome.abandoned).toEqual(['scheduler (state writes, lease release)']);
  });
});

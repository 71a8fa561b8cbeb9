import { describe, expect, it } from 'vitest';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { PodActions, POD_ACTIONS_PER_SLICE } from '../../src/controller/runtime-wiring';
import { silentLogger } from './fixtures';

describe("PodActions (the supervisor's pod starts and decommissions)", () => {
  it('starts a parallel plan of 2,000 pods in slices, never all in one macrotask, in order', async () => {
    const actions = new PodActions(silentLogger());
    const started: number[] = [];
    for (let i = 0; i < 2000; i++) actions.post(() => started.push(i));
    expect(started).toEqual([]);
    await nextMacrotask();
    expect(started.length).toBeGreaterThan(0);
    expect(started.length).toBeLessThanOrEqual(POD_ACTIONS_PER_SLICE);
    while (started.length < 2000) await nextMacrotask();
    expect(started).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it('drops what is still queued once cancelled (stepping down: the next leader starts the pods)', async () => {
    const actions = new PodActions(silentLogger());
    const started: number[] = [];
    for (let i = 0; i < 200; i++) actions.post(() => started.push(i));
    await nextMacrotask();
    const before = started.length;
    actions.cancel();
    for (let i = 0; i < 5; i++) await nextMacrotask();
    expect(started.length).toBe(before);
    actions.post(() => started.push(-1));
    await nextMacrotask();
    expect(started.at(-1)).toBe(-1);
  });
});

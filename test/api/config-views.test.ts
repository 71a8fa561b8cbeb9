import { describe, expect, it } from 'vitest';
import { ConfigTargets } from '../../src/workflows/config-target';
import type { PlanStore } from '../../src/workflows/workflow-runner';
import { configById, configList } from '../../src/api/config-views';

/** An in-memory KV with compare-and-set, as the state store behaves. */
function memoryStore(): PlanStore {
  const kv = new Map<string, { value: unknown; revision: number }>();
  let rev = 0;
  return {
    async get<T>(key: string) {
      return kv.get(key) as { value: T; revision: number } | undefined;
    },
    async put<T>(key: string, value: T, expected: number) {
      if ((kv.get(key)?.revision ?? 0) !== expected) throw new Error(`conflict on ${key}`);
      rev += 1;
      kv.set(key, { value, revision: rev });
      return rev;
    },
  };
}

const specA = 'name: c\npods:\n  node:\n    count: 3\n';
const specB = 'name: c\npods:\n  node:\n    count: 4\n';

describe('config list / show ID / target over configs.<id> and config.target', () => {
  it('before any config update: the running spec is the only configuration, and the target', async () => {
    const targets = new ConfigTargets({ store: memoryStore() });
    expect(await configList(targets, 'aaaa11112222')).toEqual({ target: null, configs: [{ id: 'aaaa11112222', storedAt: null, target: true }] });
    expect(await configById(targets, 'aaaa', { id: 'aaaa11112222', yaml: specA })).toEqual({ id: 'aaaa11112222', yaml: specA, storedAt: null, target: true });
  });

  it('lists the rollback history oldest first and the target last; shows any of them by id or unique prefix', async () => {
    const now = () => new Date('2026-01-01T00:00:00Z');
    const targets = new ConfigTargets({ store: memoryStore(), now });
    const a = await targets.storeConfig(specA);
    const b = await targets.storeConfig(specB);
    await targets.setTarget(b, a);
    const list = await configList(targets, a);
    expect(list).toEqual({
      target: b,
      configs: [
        { id: a, storedAt: '2026-01-01T00:00:00.000Z', target: false },
        { id: b, storedAt: '2026-01-01T00:00:00.000Z', target: true },
      ],
    });
    expect(await configById(targets, a.slice(0, 6), { id: b, yaml: specB })).toMatchObject({ id: a, yaml: specA, target: false });
    await expect(configById(targets, 'ffff0000', { id: b, yaml: specB })).rejects.toMatchObject({ code: 'UNKNOWN_CONFIG', status: 404, message: expect.stringContaining(`configurations: ${a}, ${b}`) });
  });
});

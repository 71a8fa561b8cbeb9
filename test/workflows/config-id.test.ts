import { describe, expect, it } from 'vitest';
import { configId, isIdOf, legacyConfigId } from '../../src/workflows/config-id';
import { CONFIG_TARGET_KEY, ConfigTargets, configKey } from '../../src/workflows/config-target';
import { CasKv as FakeKv } from '../helpers/memory-kv';

const SPEC = `name: demo
pods:
  node:
    count: 3
    env:
      MAX_HEAP_SIZE: 2G
`;


describe('configuration id: a hash of the canonical parsed spec', () => {
  it('a comment, whitespace, quoting or key-order edit keeps the id', () => {
    const commented = `# tuned for the lab\nname: demo   # the service\npods:\n  node:\n    env:\n      MAX_HEAP_SIZE: "2G"\n    count: 3\n\n`;
    expect(commented).not.toBe(SPEC);
    expect(configId(commented)).toBe(configId(SPEC));
    expect(configId(SPEC)).toMatch(/^[0-9a-f]{12}$/);
  });

  it('a real change gets a new id (values, and the order of a list)', () => {
    expect(configId(SPEC.replace('2G', '3G'))).not.toBe(configId(SPEC));
    expect(configId('a: [1, 2]')).not.toBe(configId('a: [2, 1]'));
  });

  it('an id written when ids hashed the raw YAML is still recognised as that configuration', () => {
    expect(legacyConfigId(SPEC)).not.toBe(configId(SPEC));
    expect(isIdOf(legacyConfigId(SPEC), SPEC)).toBe(true);
    expect(isIdOf(configId(SPEC), SPEC)).toBe(true);
    expect(isIdOf(legacyConfigId(SPEC.replace('2G', '3G')), SPEC)).toBe(false);
    expect(isIdOf(null, SPEC)).toBe(false);
  });
});

describe('ConfigTargets with ids of the raw YAML stored before', () => {
  const updated = SPEC.replace('2G', '3G');
  async function legacyKv(): Promise<FakeKv> {
    const kv = new FakeKv();
    for (const yaml of [SPEC, updated]) await kv.put(configKey(legacyConfigId(yaml)), { id: legacyConfigId(yaml), yaml, storedAt: 't0' }, 0);
    await kv.put(CONFIG_TARGET_KEY, { id: legacyConfigId(updated), history: [legacyConfigId(SPEC)], updatedAt: 't1' }, 0);
    return kv;
  }

  it('finds the stored target and its YAML by the old id', async () => {
    const targets = new ConfigTargets({ store: await legacyKv() });
    const target = await targets.read();
    expect(isIdOf(target!.id, updated)).toBe(true);
    expect((await targets.config(target!.id))!.yaml).toBe(updated);
  });

  it('migrates the target and its history to canonical ids, the YAML kept as it was given', async () => {
    const kv = await legacyKv();
    const targets = new ConfigTargets({ store: kv });
    expect(await targets.migrateLegacy(updated)).toBe(legacyConfigId(updated));
    expect(targets.targetId).toBe(configId(updated));
    expect(targets.previousId).toBe(configId(SPEC));
    expect((await targets.config(configId(SPEC)))!.yaml).toBe(SPEC);
    expect((await targets.config(configId(updated)))!.yaml).toBe(updated);
    // The old records stay (another scheduler of the old version may still read them).
    expect(kv.data.has(configKey(legacyConfigId(SPEC)))).toBe(true);
    // Once migrated there is nothing left to do.
    expect(await new ConfigTargets({ store: kv }).migrateLegacy(updated)).toBeUndefined();
  });

  it('leaves a target of another configuration alone', async () => {
    const targets = new ConfigTargets({ store: await legacyKv() });
    expect(await targets.migrateLegacy(SPEC)).toBeUndefined();
    expect(targets.targetId).toBe(legacyConfigId(updated));
  });

  it('stores a comment-only edit under the id already stored, keeping the first YAML', async () => {
    const targets = new ConfigTargets({ store: new FakeKv() });
    const id = await targets.storeConfig(SPEC);
    expect(await targets.storeConfig(`# a comment\n${SPEC}`)).toBe(id);
    expect((await targets.config(id))!.yaml).toBe(SPEC);
  });
});

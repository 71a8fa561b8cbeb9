import { describe, expect, it, vi } from 'vitest';

// Count how often the spec's YAML is parsed.
const parses = vi.hoisted(() => ({ n: 0 }));
vi.mock('yaml', async (importOriginal) => {
  const actual = await importOriginal<typeof import('yaml')>();
  return { ...actual, parse: (...args: Parameters<typeof actual.parse>) => (parses.n++, actual.parse(...args)) };
});

const { configId } = await import('../../src/workflows/config-id');

describe('configuration id of a spec stamped on every launch', () => {
  it('parses a YAML text once however many pods are launched with it, and still tells texts apart', () => {
    const target = 'name: big\npods:\n  node:\n    count: 10000\n';
    const other = 'name: big\npods:\n  node:\n    count: 10001\n';
    const before = parses.n;
    const ids = Array.from({ length: 1_000 }, () => configId(target));
    expect(new Set(ids).size).toBe(1);
    expect(parses.n - before).toBe(1);
    expect(configId(other)).not.toBe(ids[0]);
    expect(parses.n - before).toBe(2);
  });

  it('keeps answering right when many texts come and go (older ones are parsed again, not confused)', () => {
    const texts = Array.from({ length: 40 }, (_, i) => `name: s${i}\npods: {}\n`);
    const first = texts.map((t) => configId(t));
    expect(new Set(first).size).toBe(40);
    expect(texts.map((t) => configId(t))).toEqual(first);
  });
});

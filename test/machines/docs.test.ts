import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { frameworkMachine } from '../../machines/framework.machine';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import { renderMermaid } from './mermaid';
import { allTransitionKeys } from './state-coverage';

const doc = readFileSync(new URL('../../docs/machines.md', import.meta.url), 'utf8');

function eventTypes(machine: AnyStateMachine): string[] {
  const types = allTransitionKeys(machine).map((k) => k.split(' | ')[1] ?? '');
  return [...new Set(types.filter((t) => t !== 'always' && !t.startsWith('xstate.')))].sort();
}

describe('docs/machines.md', () => {
  it.each([
    ['pod instance', podInstanceMachine],
    ['framework', frameworkMachine],
  ] as const)('embeds the current diagram of the %s machine', (_, machine) => {
    expect(doc).toContain(renderMermaid(machine));
  });

  it.each([
    ['pod instance', podInstanceMachine],
    ['framework', frameworkMachine],
  ] as const)('documents every event the %s machine handles', (_, machine) => {
    const missing = eventTypes(machine).filter((e) => !doc.includes(`\`${e}\``));
    expect(missing).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { expectConformantRecordings } from '../conformance/recordings';
import { frameworkYaml, placementFacts, startSandbox } from './helpers';
import { podTransitions, recordedLaunches } from './helpers-recovery';

/** Line of the first transition of `pod` into a state starting with `state` (the file is append-only). */
function firstLine(transitions: ReturnType<typeof podTransitions>, pod: string, state: string): number {
  const t = transitions.find((x) => x.pod === pod && x.to.startsWith(state));
  if (!t) throw new Error(`${pod} never reached ${state}`);
  return t.line;
}

describe('HDFS deploys in dependency order: journal, then name, then data', () => {
  let sb: Sandbox;
  let record: string;
  let transitions: ReturnType<typeof podTransitions>;
  let service: string;
  const journal = ['journal-0', 'journal-1', 'journal-2'];
  const names = ['name-0', 'name-1'];
  const data = ['data-0', 'data-1', 'data-2'];

  beforeAll(async () => {
    // Six agents in three racks: room for three journal nodes spread over three zones, two name
    // nodes in two racks and three data nodes on distinct hosts.
    const spec = frameworkYaml('hdfs');
    service = spec.name;
    const started = await startSandbox(spec.yaml, { agents: 6, racks: 3 });
    sb = started.sandbox;
    record = started.record!;
    await sb.scheduler.waitDeployed(60_000);
    transitions = podTransitions(record);
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it('runs all eight pods once the deploy plan is complete', () => {
    const { running } = placementFacts(sb);
    expect(running).toHaveLength(8);
  });

  it('launches no name pod before every journal pod is running', () => {
    const lastJournalRunning = Math.max(...journal.map((p) => firstLine(transitions, p, 'running')));
    for (const p of names) expect(firstLine(transitions, p, 'placed'), p).toBeGreaterThan(lastJournalRunning);
  });

  it('launches no data pod before every name pod is running', () => {
    const lastNameRunning = Math.max(...names.map((p) => firstLine(transitions, p, 'running')));
    for (const p of data) expect(firstLine(transitions, p, 'placed'), p).toBeGreaterThan(lastNameRunning);
  });

  it('deploys the name nodes one at a time (serial phase)', () => {
    expect(firstLine(transitions, 'name-1', 'placed')).toBeGreaterThan(firstLine(transitions, 'name-0', 'running'));
  });

  it('agrees with the recorded ACCEPTs: all journal launches, then the name launches, then the data launches', () => {
    const order = recordedLaunches(record, `${service}__`).map((l) => l.taskId.split('__')[1]!.replace(/-\d+$/, ''));
    expect(order).toEqual(['journal', 'journal', 'journal', 'name', 'name', 'data', 'data', 'data']);
  });

  it('spreads each pod type by its constraints', () => {
    const { agents, running } = placementFacts(sb);
    const of = (type: string) => running.filter((t) => t.taskId.includes(`__${type}-`));
    expect(new Set(of('journal').map((t) => agents.get(t.hostname)!.zone)).size).toBe(3);
    expect(new Set(of('name').map((t) => agents.get(t.hostname)!.rack)).size).toBe(2);
    expect(new Set(of('data').map((t) => t.hostname)).size).toBe(3);
  });

  it('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});

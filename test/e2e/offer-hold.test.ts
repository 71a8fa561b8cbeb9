import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { eventually, startSandbox } from './helpers';
import { readRecords } from './helpers-recovery';

/** Offer ids of the recorded scheduler stream: offered, accepted, declined, rescinded (in record order). */
function offerLedger(record: string) {
  const offered: string[] = [];
  const used: string[] = [];
  const rescinded: string[] = [];
  const declines: { ids: string[]; refuse: number | undefined; line: number }[] = [];
  /** REVIVEs after the first ACCEPT (the deploy's start revives once before the first pod). */
  let revives = 0;
  let accepted = false;
  for (const r of readRecords(record, 'mesos')) {
    if (r.api !== 'scheduler') continue;
    const body = r.body as Record<string, any>;
    if (r.dir === 'event' && body.type === 'OFFERS') offered.push(...body.offers.offers.map((o: any) => o.id.value));
    if (r.dir === 'event' && body.type === 'RESCIND') rescinded.push(body.rescind.offer_id.value);
    if (r.dir !== 'call') continue;
    if (body.type === 'REVIVE' && accepted) revives += 1;
    if (body.type === 'ACCEPT') accepted = true;
    if (body.type === 'ACCEPT') used.push(...body.accept.offer_ids.map((o: any) => o.value));
    if (body.type === 'DECLINE') declines.push({ ids: body.decline.offer_ids.map((o: any) => o.value), refuse: body.decline.filters?.refuse_seconds, line: r.line });
  }
  return { offered, used, rescinded, declines, revives };
}

/** A serial deploy of `pods` pods of one type (with a 1 GiB volume each, if asked). */
function serialSpec(pods: number, volume: boolean): string {
  return [
    `name: hold-${randomUUID().slice(0, 6)}`,
    'pods:',
    '  node:',
    `    count: ${pods}`,
    '    cpus: 0.5',
    '    mem: 512',
    '    command: sleep 100000',
    ...(volume ? ['    volumes:', '      - {name: data, path: data, size: 1Gi, repl: 1}'] : []),
    'plans:',
    '  deploy:',
    '    strategy: serial',
    '    phases:',
    '      - {name: nodes, pod: node, strategy: serial}',
    '',
  ].join('\n');
}

describe('a serial deploy places each next pod on a held offer: no REVIVE and no round of every agent per pod', () => {
  let sb: Sandbox;
  let record: string;
  const pods = 5;

  beforeAll(async () => {
    const yaml = serialSpec(pods, true);
    // 60 agents on one rack: the hold keeps 6 offers (a tenth), enough for the 5 pods, and every host
    // is as good as another.
    const started = await startSandbox(yaml, { agents: 60, racks: 1 });
    sb = started.sandbox;
    record = started.record!;
    await sb.scheduler.waitDeployed(60_000);
  }, 90_000);

  afterAll(async () => {
    await sb?.stop();
  });

  it('never revives after the first launch: each later pod goes to a host whose offer is held', () => {
    const { revives, used } = offerLedger(record);
    expect(used).toHaveLength(pods);
    expect(revives).toBe(0);
  });

  it('leaves no offer outstanding once the deploy is complete: every held offer is declined for long', async () => {
    const ledger = await eventually('every offer used, declined or rescinded', () => {
      const l = offerLedger(record);
      const done = new Set([...l.used, ...l.rescinded, ...l.declines.flatMap((d) => d.ids)]);
      return l.offered.every((id) => done.has(id)) && l;
    }, 10_000);
    const last = ledger.declines.at(-1)!;
    expect(last.refuse).toBe(120);
  });
});

describe('a serial deploy with more pods than the hold keeps', () => {
  it('revives again only once the held offers are used up', async () => {
    const yaml = serialSpec(5, false);
    // 20 agents: two offers held at a time.
    const { sandbox, record } = await startSandbox(yaml, { agents: 20, racks: 1 });
    try {
      await sandbox.scheduler.waitDeployed(60_000);
      const { revives, used } = offerLedger(record!);
      expect(used).toHaveLength(5);
      expect(revives).toBeGreaterThanOrEqual(1);
      expect(revives).toBeLessThanOrEqual(2);
    } finally {
      await sandbox.stop();
    }
  }, 90_000);
});

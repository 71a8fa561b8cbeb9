import { afterEach, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startCommandService, type CommandService } from '../../src/api/command-service';
import { runServices, type SchedulerInstance } from '../../src/cli/services.command';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { FakeOperations } from '../api/fake-operations';
import { memoryLogger, uniqueService } from '../api/helpers';

describe('pxfw services: the schedulers answering on NATS', () => {
  const open: { nc: NatsConnection; svc: CommandService }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.svc.stop();
      await o.nc.close();
    }
  });

  async function scheduler(service: string): Promise<CommandService> {
    const nc = await connect({ servers: SHARED_NATS_URL });
    const quiet = memoryLogger().logger;
    const svc = await startCommandService(nc, new FakeOperations(service), { logger: quiet, audit: { logger: quiet } });
    open.push({ nc, svc });
    return svc;
  }

  async function run(...flags: [string, unknown][]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runServices(Object.fromEntries(flags), {
      out: { write: (t: string) => (out += t) },
      err: { write: (t: string) => (err += t) },
      env: { NATS_URL: SHARED_NATS_URL },
    });
    return { code, out, err };
  }

  it('lists each scheduler instance with its service, id, version and verbs; --json gives the rows', async () => {
    const a = uniqueService('svc-a');
    const b = uniqueService('svc-b');
    const sa = await scheduler(a);
    const sb = await scheduler(b);
    const json = await run(['json', true], ['timeout', '0.5']);
    expect(json.code).toBe(0);
    const rows = (JSON.parse(json.out) as SchedulerInstance[]).filter((r) => r.service === a || r.service === b);
    expect(rows.map((r) => [r.service, r.id])).toEqual([
      [a, sa.id],
      [b, sb.id],
    ]);
    expect(rows[0]).toMatchObject({ version: '0.1.0', requests: 0, errors: 0 });
    expect(rows[0]!.endpoints).toBeGreaterThan(20);
    expect(rows[0]!.started).toMatch(/^\d{4}-\d\d-\d\dT/);
    const human = await run(['timeout', '0.5']);
    expect(human.out.split('\n')[0]).toMatch(/^SERVICE\s+INSTANCE\s+VERSION\s+VERBS\s+STARTED\s+REQUESTS\s+ERRORS$/);
    expect(human.out).toMatch(new RegExp(`^${a}\\s+${sa.id}\\s+0\\.1\\.0`, 'm'));
  });

  it('says so when nobody answers, and exits 0 (an empty list is an answer)', async () => {
    // A NATS of its own would be empty; on the shared one, look at the rendering of an empty list.
    const { renderSchedulers } = await import('../../src/cli/services.command');
    expect(renderSchedulers([], 'nats://x:4222')).toBe('no pxfw scheduler answered on nats://x:4222 ($SRV.INFO.pxfw)');
  });

  it('with NATS unreachable: one line on stderr, exit 1, and with --json an error object on stdout', async () => {
    const human = await run(['nats', 'nats://127.0.0.1:1']);
    expect(human.code).toBe(1);
    expect(human.err).toMatch(/^pxfw: .*127\.0\.0\.1:1/);
    const json = await run(['nats', 'nats://127.0.0.1:1'], ['json', true]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toEqual({ error: { code: 'NATS_UNREACHABLE', message: expect.stringContaining('127.0.0.1:1'), retryable: true } });
  });

  it('refuses a --timeout that is not a positive number, as a usage error', async () => {
    const json = await run(['timeout', 'soon'], ['json', true]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out).error).toMatchObject({ code: 'CLI_USAGE', retryable: false });
  });
});

import { describe, expect, it } from 'vitest';
import { consumeStream, Watchdog } from '../../src/mesos/stream-loop';
import type { MesosEventStream } from '../../src/mesos/http';
import { WorkBudget } from '../../src/util/work-budget';

/** A stream that has every event of a burst ready at once, as one read of 1,000 updates is. */
function burst(n: number): MesosEventStream & { closed: boolean } {
  const s = {
    headers: {},
    url: 'http://master/api/v1/scheduler',
    closed: false,
    events: (async function* () {
      for (let i = 0; i < n; i++) yield { type: 'UPDATE', i };
    })(),
    close: () => void (s.closed = true),
  };
  return s;
}

const fakeClock = () => () => 0;

describe('consumeStream: a burst of events is handled in slices', () => {
  it('lets the event loop turn between slices of a burst, and handles every event once, in order', async () => {
    const seen: number[] = [];
    // Where the handling stood each time a timer-phase task got to run.
    const turns: number[] = [];
    let ticking = true;
    const tick = (): void => {
      turns.push(seen.length);
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const reason = await consumeStream(burst(1_000), new AbortController().signal, (e) => void seen.push((e as { i: number }).i), new WorkBudget({ maxUnits: 100, now: fakeClock() }));
    ticking = false;
    expect(reason).toBe('the master closed the event stream');
    expect(seen).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    // Other work ran while the burst was handled: after each slice of 100 (a budget of units, no clock).
    const during = turns.filter((t) => t > 0 && t < 1_000);
    expect(during.length).toBeGreaterThanOrEqual(9);
    expect(during.every((t) => t % 100 === 0)).toBe(true);
  });

  it('handles a burst in one go when no slice runs out (no turn is taken between events)', async () => {
    const turns: number[] = [];
    let seen = 0;
    setImmediate(() => turns.push(seen));
    await consumeStream(burst(50), new AbortController().signal, () => void seen++, new WorkBudget({ maxUnits: 1_000, now: fakeClock() }));
    expect(seen).toBe(50);
    expect(turns).toEqual([]);
  });
});

describe('Watchdog: silence on the stream is noticed however many events kicked it', () => {
  it('fires once the stream is silent for the limit, not before, after a burst of kicks', async () => {
    const fired: number[] = [];
    const dog = new Watchdog((ms) => fired.push(ms));
    dog.arm(60);
    const started = performance.now();
    // Kicks for 100 ms: no silence of 60 ms yet.
    while (performance.now() - started < 100) {
      dog.kick();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(fired).toEqual([]);
    await new Promise((r) => setTimeout(r, 120));
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(60);
    dog.disarm();
  });

  it('never fires once disarmed', async () => {
    const fired: number[] = [];
    const dog = new Watchdog((ms) => fired.push(ms));
    dog.arm(20);
    dog.disarm();
    await new Promise((r) => setTimeout(r, 60));
    expect(fired).toEqual([]);
  });
});

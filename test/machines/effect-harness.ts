import { fromPromise } from 'xstate';

export interface PendingCall {
  name: string;
  input: unknown;
  settled: boolean;
  /** False once the machine left the invoking state (the call's result would be ignored). */
  live: () => boolean;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** A retryable or terminal failure shaped like PxfwError (machines read `retryable`). */
export function effectFailure(message: string, retryable: boolean, code = 'TEST'): Error {
  return Object.assign(new Error(message), { code, retryable });
}

/** Let promise callbacks and the relayed done/error events run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * Effects the test settles by hand: every invocation is recorded with its input and stays
 * pending until `resolve` / `reject` names it, so a test can stop the machine mid-effect.
 */
export class EffectHarness {
  readonly calls: PendingCall[] = [];

  actor<TOut = unknown>(name: string) {
    return fromPromise<TOut, unknown>(
      ({ input, self }) =>
        new Promise<TOut>((resolve, reject) => {
          const live = () => self.getSnapshot().status === 'active';
          this.calls.push({ name, input, settled: false, live, resolve: resolve as (v: unknown) => void, reject });
        }),
    );
  }

  actors<const N extends readonly string[]>(names: N): Record<N[number], ReturnType<EffectHarness['actor']>> {
    return Object.fromEntries(names.map((n) => [n, this.actor(n)])) as Record<N[number], ReturnType<EffectHarness['actor']>>;
  }

  names(): string[] {
    return this.calls.map((c) => c.name);
  }

  count(name: string): number {
    return this.calls.filter((c) => c.name === name).length;
  }

  pending(name?: string): PendingCall | undefined {
    return [...this.calls].reverse().find((c) => !c.settled && (name === undefined || c.name === name));
  }

  lastInput(name: string): unknown {
    return [...this.calls].reverse().find((c) => c.name === name)?.input;
  }

  async resolve(name: string, output?: unknown): Promise<void> {
    const call = this.pending(name);
    if (call === undefined) throw new Error(`no pending ${name} call (calls: ${this.names().join(', ')})`);
    call.settled = true;
    call.resolve(output);
    await flush();
  }

  async reject(name: string, err: unknown): Promise<void> {
    const call = this.pending(name);
    if (call === undefined) throw new Error(`no pending ${name} call (calls: ${this.names().join(', ')})`);
    call.settled = true;
    call.reject(err);
    await flush();
  }
}

/* State-config helpers shared by the machines (plain objects: they import nothing). */

/** An effect's onError: a terminal error parks the actor in `blocked`, any other retries after a backoff. */
export function retryOrPark<B extends string>(effect: string, backoff: B) {
  return [
    { guard: 'effectErrorIsTerminal' as const, target: 'blocked', actions: { type: 'recordEffectError' as const, params: { effect } } },
    { target: backoff, actions: { type: 'recordEffectError' as const, params: { effect } } },
  ];
}

/** Wait out the retry delay, then try `target` again; RESUMED re-arms the timer after a restore. */
export function backoffTo(target: string, self: string) {
  return { after: { retryDelay: target }, on: { RESUMED: { target: self, reenter: true } } };
}

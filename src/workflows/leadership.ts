/**
 * Calls `start` each time the scheduler becomes the active leader and `stop` each time it stops
 * being one, or its supervisor stops (the scheduler stopping): a workflow's actor runs only there
 * (level-triggered on every supervisor change).
 */
export function onActiveLeader(
  port: { subscribe(observer: { next: () => void; complete: () => void }): { unsubscribe(): void }; activeLeader(): boolean },
  start: () => void,
  stop: () => void,
): () => void {
  let was = false;
  const check = (now: boolean) => {
    if (now && !was) start();
    if (!now && was) stop();
    was = now;
  };
  const sub = port.subscribe({ next: () => check(port.activeLeader()), complete: () => check(false) });
  check(port.activeLeader());
  return () => sub.unsubscribe();
}

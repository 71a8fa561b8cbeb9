import { fromCallback } from 'xstate';
import type { CheckpointedEvent, StepInput, StepOutcome, StepParams, WorkflowEvent } from './workflow.types';

/** What a step's effect may do besides its work: say where it is, and store intent before acting. */
export interface StepIO {
  /** Shown by `plan status`; `waiting`: the step holds before acting (e.g. for a slot). */
  progress(message: string, waiting?: boolean): void;
  /** Record facts in the plan and resolve once they are in KV: the act that follows is then known. */
  checkpoint(params: StepParams, message?: string): Promise<void>;
  /** Aborted when the step's actor stops (pause while holding, scheduler stopping, superseded). */
  readonly signal: AbortSignal;
}

export type StepRun = (input: StepInput, io: StepIO) => Promise<StepOutcome>;

/** The effect was stopped: not a failure, the step runs again when the plan resumes. */
export class StepAbortedError extends Error {
  readonly code = 'STEP_ABORTED';
  readonly retryable = true;
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A step effect as the workflow machine's actor: `run` resolves (STEP_DONE) or rejects
 * (STEP_FAILED, the plan stops there); an effect stopped meanwhile reports nothing.
 */
export function stepEffect(run: StepRun) {
  return fromCallback<CheckpointedEvent, StepInput>(({ input, sendBack, receive }) => {
    const ac = new AbortController();
    const step = input.step.name;
    const send = (e: WorkflowEvent) => {
      if (!ac.signal.aborted) sendBack(e);
    };
    let stored: (() => void) | undefined;
    receive((e) => {
      if (e.type !== 'CHECKPOINTED') return;
      const done = stored;
      stored = undefined;
      done?.();
    });
    const io: StepIO = {
      signal: ac.signal,
      progress: (message, waiting = false) => send({ type: 'STEP_PROGRESS', step, message, waiting }),
      checkpoint: (params, message) =>
        new Promise<void>((resolve, reject) => {
          if (ac.signal.aborted) return reject(new StepAbortedError(`${step} stopped`));
          ac.signal.addEventListener('abort', () => reject(new StepAbortedError(`${step} stopped`)), { once: true });
          stored = resolve;
          send({ type: 'STEP_CHECKPOINT', step, params, ...(message ? { message } : {}) });
        }),
    };
    run(input, io).then(
      (out) => send({ type: 'STEP_DONE', step, ...(out.message ? { message: out.message } : {}), ...(out.params ? { params: out.params } : {}) }),
      (err: unknown) => send({ type: 'STEP_FAILED', step, reason: reasonOf(err) }),
    );
    return () => ac.abort();
  });
}

import { randomUUID } from 'node:crypto';
import { addRes, subtractRes, type Res } from './resources';
import type { ContainerIdJson, Json, SimAgent, SimExecutor, SimFramework, SimTask } from './state';

/** The framework's executor on the agent, started (and its resources taken) by its first task. */
export function ensureExecutor(fw: SimFramework, agent: SimAgent, ex: { id: string; info: Json; resources: Res }): SimExecutor {
  const key = `${fw.id}/${ex.id}`;
  let executor = agent.executors.get(key);
  if (!executor) {
    executor = { frameworkId: fw.id, executorId: ex.id, containerId: randomUUID(), info: ex.info, resources: ex.resources, tasks: new Set() };
    agent.executors.set(key, executor);
    agent.used = addRes(agent.used, ex.resources);
  }
  return executor;
}

/** Give the task's resources back to its agent; its executor ends (and frees its own) with its last task. */
export function freeOnAgent(agent: SimAgent, task: SimTask): void {
  agent.used = subtractRes(agent.used, task.resources);
  if (task.executorId === undefined) return;
  const key = `${task.frameworkId}/${task.executorId}`;
  const ex = agent.executors.get(key);
  ex?.tasks.delete(task);
  if (ex && ex.tasks.size === 0) {
    agent.executors.delete(key);
    agent.used = subtractRes(agent.used, ex.resources);
  }
}

/**
 * A task group's task runs in a container nested under its executor's; a task with its own
 * executor runs in the executor's container; a command task gets a container of its own.
 */
export function containerOf(executor: SimExecutor | undefined, inGroup: boolean): ContainerIdJson {
  if (!executor) return { value: randomUUID() };
  if (inGroup) return { value: randomUUID(), parent: { value: executor.containerId } };
  return { value: executor.containerId };
}

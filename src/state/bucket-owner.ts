import { hostname } from 'node:os';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { parseTaskId } from '../service-spec/names';
import { isStreamNotFound, StateConflictError, StateOwnershipError, StateUnavailableError } from './errors';
import { bucketName, ServiceStateStore } from './state-store';

/**
 * Who made a service's state bucket. Written once, when the bucket is created, and checked by
 * every scheduler and sandbox that opens it: pxfw never uses, adopts or deletes state that another
 * service, another sandbox or a sandbox-versus-scheduler mix-up made (issue 10, problem 1).
 */
export const OWNER_KEY = 'meta.owner';

export interface BucketOwner {
  service: string;
  /** `scheduler`: a `pxfw run` (what Marathon runs); `sandbox`: one `pxfw sandbox` run. */
  kind: 'scheduler' | 'sandbox';
  /** The sandbox id, for kind `sandbox`. */
  sandbox?: string;
  createdAt: string;
  /** `host/pid` of the process that created the bucket, for the person reading an error. */
  createdBy: string;
}

export type StateClaim = { kind: 'scheduler' } | { kind: 'sandbox'; sandbox: string };

export interface ClaimedState {
  store: ServiceStateStore;
  owner: BucketOwner;
  /** True when this claim created the bucket (only then may a sandbox delete it). */
  created: boolean;
}

/** Does the service's KV bucket exist? (Never creates it.) */
export async function bucketExists(nc: NatsConnection, service: string): Promise<boolean> {
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.info(`KV_${bucketName(service)}`);
    return true;
  } catch (err) {
    if (isStreamNotFound(err)) return false;
    throw new StateUnavailableError(`cannot look up the state bucket ${bucketName(service)}`, { cause: err });
  }
}

function describeOwner(o: BucketOwner): string {
  const who = o.kind === 'sandbox' ? `pxfw sandbox ${o.sandbox ?? '?'}` : `the scheduler of '${o.service}'`;
  return `${who} (${o.createdBy}, ${o.createdAt})`;
}

function removeHint(bucket: string): string {
  return `pxfw never deletes state it did not create: if that state is no longer needed, remove it yourself (nats kv rm ${bucket})`;
}

/** Pod records whose task ids name another service: a bucket from before owner records, not ours. */
async function foreignTaskService(store: ServiceStateStore, service: string): Promise<string | undefined> {
  for (const key of await store.keys('pods.')) {
    const rec = await store.get<{ snapshot?: { context?: { task?: { taskId?: string } | null } } }>(key);
    const taskId = rec?.value.snapshot?.context?.task?.taskId;
    const parsed = taskId ? parseTaskId(taskId) : undefined;
    if (parsed && parsed.service !== service) return parsed.service;
  }
  return undefined;
}

function check(owner: BucketOwner, service: string, claim: StateClaim): void {
  const bucket = bucketName(service);
  if (owner.service !== service) {
    throw new StateOwnershipError(
      `state bucket ${bucket} belongs to service '${owner.service}', made by ${describeOwner(owner)}, not to '${service}'; pick another service name. ${removeHint(bucket)}`,
      bucket,
      owner,
    );
  }
  if (claim.kind === 'scheduler' && owner.kind === 'sandbox') {
    throw new StateOwnershipError(
      `state bucket ${bucket} was made by ${describeOwner(owner)}, not by a scheduler of '${service}'; a sandbox's state cannot drive a real service. ${removeHint(bucket)}`,
      bucket,
      owner,
    );
  }
  if (claim.kind === 'sandbox' && (owner.kind !== 'sandbox' || owner.sandbox !== claim.sandbox)) {
    throw new StateOwnershipError(
      `state bucket ${bucket} already exists, made by ${describeOwner(owner)}; the sandbox never uses or deletes state it did not create: run it without --nats (it starts its own NATS) or give it a namespace`,
      bucket,
      owner,
    );
  }
}

/**
 * Open the service's state bucket for a scheduler or a sandbox, creating it (with its owner
 * record) when it does not exist. Throws StateOwnershipError, without touching anything, when the
 * bucket belongs to another service or another kind of owner.
 */
export async function claimServiceState(nc: NatsConnection, service: string, claim: StateClaim): Promise<ClaimedState> {
  const bucket = bucketName(service);
  const existed = await bucketExists(nc, service);
  const store = await ServiceStateStore.open(nc, service);
  for (let attempt = 0; attempt < 3; attempt++) {
    const cur = await store.get<BucketOwner>(OWNER_KEY);
    if (cur) {
      check(cur.value, service, claim);
      return { store, owner: cur.value, created: false };
    }
    if (existed && claim.kind === 'sandbox') {
      throw new StateOwnershipError(
        `state bucket ${bucket} already exists and has no owner record (an older pxfw, or another tool, made it); the sandbox never uses or deletes state it did not create: run it without --nats (it starts its own NATS) or give it a namespace`,
        bucket,
        null,
      );
    }
    if (existed) {
      // A bucket from before owner records: adopt it only when nothing in it names another service.
      const other = await foreignTaskService(store, service);
      if (other) {
        throw new StateOwnershipError(
          `state bucket ${bucket} holds tasks of service '${other}', not of '${service}'. ${removeHint(bucket)}`,
          bucket,
          { service: other },
        );
      }
    }
    const owner: BucketOwner = {
      service,
      kind: claim.kind,
      ...(claim.kind === 'sandbox' ? { sandbox: claim.sandbox } : {}),
      createdAt: new Date().toISOString(),
      createdBy: `${hostname()}/${process.pid}`,
    };
    try {
      await store.put(OWNER_KEY, owner, 0);
      return { store, owner, created: !existed };
    } catch (err) {
      // Someone else wrote an owner record at the same moment: read it and check it.
      if (!(err instanceof StateConflictError)) throw err;
    }
  }
  throw new StateUnavailableError(`could not settle the owner of state bucket ${bucket}`);
}

/** Delete the bucket only if its owner record still names this sandbox. Returns whether it did. */
export async function destroyOwnSandboxState(nc: NatsConnection, service: string, sandbox: string): Promise<boolean> {
  if (!(await bucketExists(nc, service))) return false;
  const store = await ServiceStateStore.open(nc, service);
  const owner = (await store.get<BucketOwner>(OWNER_KEY))?.value;
  if (!owner || owner.kind !== 'sandbox' || owner.sandbox !== sandbox || owner.service !== service) return false;
  await store.destroy();
  return true;
}

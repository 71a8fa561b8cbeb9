import type { StepIO, StepRun } from '../../machines/workflow.effects';
import type { StepInput } from '../../machines/workflow.types';
import type { UpdateVolumeInput, VolumeInspection } from '../portworx';
import { replicaHealth } from '../portworx';
import { UpdateStepFailedError } from '../controller/config-update-errors';
import { chooseAddedReplica, chooseKeptReplicas, type ReplicaChoiceDeps } from '../controller/config-replicas';
import type { WorkflowPods } from './pod-view';

const GIB = 1024 ** 3;

export interface VolumeEffectDeps extends ReplicaChoiceDeps, WorkflowPods {
  px: {
    inspectVolume(id: string): Promise<VolumeInspection>;
    findVolumeByName(name: string): Promise<VolumeInspection | undefined>;
    updateVolume(id: string, update: UpdateVolumeInput): Promise<void>;
  };
  /** Replica hosts of a volume changed: drop cached locations. */
  invalidateLocations(volume: string): void;
  resyncTimeoutMs: number;
  pollMs: number;
  /** Divides the timeouts (the sandbox runs time faster); messages name the unscaled seconds. */
  timeScale: number;
}

interface VolumeStep {
  name: string;
  pod: string;
  podType: string;
  volume: string;
  params: StepInput['step']['params'];
}

function volumeStep(input: StepInput): VolumeStep {
  const p = input.step.params;
  return { name: input.step.name, pod: String(p.pod), podType: String(p.podType), volume: String(p.volume), params: p };
}

async function volumeOf(deps: VolumeEffectDeps, step: VolumeStep): Promise<{ id: string; found: VolumeInspection }> {
  const pod = deps.pods().find((p) => p.name === step.pod);
  const id = pod?.volumes.find((v) => v.name === step.volume)?.id ?? undefined;
  const found = id ? await deps.px.inspectVolume(id) : await deps.px.findVolumeByName(step.volume);
  const vid = found?.volume.id;
  if (!found || !vid) throw new UpdateStepFailedError(`volume ${step.volume} not found in Portworx`);
  return { id: vid, found };
}

/** VolumeUpdate of size (grown online, filesystem included), cos and io_profile; confirmed by a re-read. */
export function updateVolumeSpecEffect(deps: VolumeEffectDeps): StepRun {
  return async (input, io) => {
    const step = volumeStep(input);
    const { id, found } = await volumeOf(deps, step);
    const want = typeof step.params.sizeGiB === 'number' ? step.params.sizeGiB * GIB : undefined;
    const have = Number(found.volume.spec?.size ?? 0);
    const spec: NonNullable<UpdateVolumeInput['spec']> = {};
    // Checks the volume first: a step run again after a crash sends only what is not done yet.
    if (want !== undefined && have < want) spec.size = want;
    if (typeof step.params.cos === 'string' && found.volume.spec?.cos !== step.params.cos) spec.cos = step.params.cos as never;
    if (typeof step.params.ioProfile === 'string' && found.volume.spec?.io_profile !== step.params.ioProfile) spec.io_profile = step.params.ioProfile as never;
    if (Object.keys(spec).length > 0) {
      io.progress(`updating ${Object.keys(spec).join(', ')} of ${step.volume}`);
      await deps.px.updateVolume(id, { spec });
    }
    const after = (await deps.px.inspectVolume(id)).volume;
    if (want !== undefined && Number(after.spec?.size ?? 0) < want) {
      throw new UpdateStepFailedError(`Portworx accepted the resize of ${step.volume} but reports ${Number(after.spec?.size ?? 0) / GIB} GiB`);
    }
    const size = `${Number(after.spec?.size ?? 0) / GIB} GiB`;
    const message = after.fs_resize_required ? `${size}; the filesystem grows when the volume is next attached` : `${size}${want !== undefined ? ', filesystem grown online' : ''}`;
    return { message };
  };
}

/** ha_level with the new replica pinned by the failure-domain rules; done once the resync ends. */
export function changeReplicationEffect(deps: VolumeEffectDeps): StepRun {
  return async (input, io) => {
    const step = volumeStep(input);
    const { id, found } = await volumeOf(deps, step);
    const target = Number(step.params.repl);
    const nodes = (found.volume.replica_sets ?? []).flatMap((r) => r.nodes ?? []);
    const haLevel = Number(found.volume.spec?.ha_level ?? nodes.length);
    let addedHost = typeof step.params.addedHost === 'string' ? step.params.addedHost : undefined;
    // The volume says whether the change was made already (a re-run after a crash waits only).
    if (haLevel !== target || nodes.length !== target) {
      const hosts = nodes.map((n) => deps.hostOfNode(n) ?? n);
      let keep: string[];
      if (target > nodes.length) {
        addedHost ??= chooseAddedReplica(deps, { pod: step.pod, podType: step.podType, volume: step.volume, repl: target }, hosts);
        keep = [...hosts, addedHost];
        await io.checkpoint({ addedHost }, `adding a replica of ${step.volume} on ${addedHost}`);
      } else {
        const podHost = deps.pods().find((p) => p.name === step.pod)?.hostname ?? null;
        keep = chooseKeptReplicas(hosts, target, podHost);
        io.progress(`removing the replica of ${step.volume} on ${hosts.filter((h) => !keep.includes(h)).join(', ')}`);
      }
      const ids = keep.map((h) => deps.nodeIdOfHost(h) ?? h);
      await deps.px.updateVolume(id, { spec: { ha_level: target, replica_set: { nodes: ids } } });
      deps.invalidateLocations(step.volume);
    }
    const message = await waitResync(deps, io, step, id, target, addedHost);
    deps.invalidateLocations(step.volume);
    return { message };
  };
}

async function waitResync(deps: VolumeEffectDeps, io: StepIO, step: VolumeStep, id: string, target: number, addedHost: string | undefined): Promise<string> {
  const end = Date.now() + deps.resyncTimeoutMs;
  for (;;) {
    const v = (await deps.px.inspectVolume(id)).volume;
    const health = replicaHealth(v);
    if (health.replicas >= target && !health.resyncing && v.status === 'VOLUME_STATUS_UP') {
      return `${health.replicas} replicas in sync${addedHost ? ` (new replica on ${addedHost})` : ''}`;
    }
    const message = health.resyncing
      ? `resync of the new replica on ${addedHost ?? health.resyncNodes.join(', ')}${health.progress !== undefined ? `: ${health.progress}%` : ''} (volume ${v.status ?? 'status unknown'})`
      : `waiting for ${target} replicas in sync (Portworx reports ${health.replicas}, ${v.status ?? 'status unknown'})`;
    io.progress(message);
    if (Date.now() > end) throw new UpdateStepFailedError(`${step.volume} not in sync after ${Math.round((deps.resyncTimeoutMs * deps.timeScale) / 1000)} s: ${message}`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, deps.pollMs);
      io.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
    if (io.signal.aborted) return message;
  }
}

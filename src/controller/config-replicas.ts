import type { ClusterView } from '../placement';
import type { ServiceSpec } from '../service-spec';
import { replicaHostsFor } from './volume-planner';
import { UpdateStepFailedError } from './config-update-errors';

/** What choosing a replica host needs to know (read-only). */
export interface ReplicaChoiceDeps {
  spec(): ServiceSpec;
  /** Agents, their failure domains and storage health, with where pods run or are planned. */
  planningView(): ClusterView;
  hostOfNode(nodeId: string): string | undefined;
  nodeIdOfHost(hostname: string): string | undefined;
  /** Hosts holding replicas of the other pods of the type (their failover targets). */
  siblingReplicaHosts(podType: string, pod: string): Set<string>;
}

const domainKey = (view: ClusterView, host: string) => {
  const d = view.agents.find((a) => a.hostname === host)?.domain;
  return d ? `${d.region ?? ''}/${d.zone ?? ''}/${d.rack ?? ''}` : undefined;
};

/**
 * The host for one more replica of a volume whose replicas are on `holders`, by the rules new
 * volumes are placed with (volume-planner `replicaHostsFor`): first among hosts whose failure
 * domain holds none of the volume's replicas yet; only if none of those has storage up, any
 * other host, the planner's choice. Never a host that already holds one.
 */
export function chooseAddedReplica(deps: ReplicaChoiceDeps, step: { podType: string; pod: string; volume?: string; repl?: number }, holders: string[]): string {
  const spec = deps.spec();
  const volSpec = spec.pods[step.podType]?.volumes.find((v) => step.volume === `${spec.name}-${step.pod}-${v.name}`);
  if (!volSpec) throw new UpdateStepFailedError(`volume ${step.volume} is not declared by pod type ${step.podType}`);
  const view = deps.planningView();
  // The replicas are pinned from a holder whose storage is up (the planner starts from one).
  const primary = holders.find((h) => view.storage[h] === 'up');
  if (!primary) throw new UpdateStepFailedError(`no replica of ${step.volume} is on a host with Portworx storage up (${holders.join(', ')})`);
  const siblings = { podType: step.podType, replicaHosts: deps.siblingReplicaHosts(step.podType, step.pod) };
  const usedDomains = new Set(holders.map((h) => domainKey(view, h)).filter((d): d is string => d !== undefined));
  // Hosts in the holders' failure domains (the first holder aside) are out of the first attempt.
  const narrowed: ClusterView = {
    agents: view.agents,
    storage: Object.fromEntries(
      Object.entries(view.storage).map(([host, health]) => {
        const inUsed = host !== primary && (holders.includes(host) || usedDomains.has(domainKey(view, host) ?? ''));
        return [host, inUsed ? 'down' : health];
      }),
    ),
  };
  const attempts: [ClusterView, number][] = [
    [narrowed, 2],
    [view, holders.length + 1],
  ];
  for (const [v, count] of attempts) {
    try {
      const hosts = replicaHostsFor(primary, { ...volSpec, repl: count as 1 | 2 | 3 }, v, step.volume ?? '', siblings);
      const added = hosts.find((h) => !holders.includes(h));
      if (added && deps.nodeIdOfHost(added)) return added;
    } catch {
      // next attempt
    }
  }
  throw new UpdateStepFailedError(
    `no host with Portworx storage up can take another replica of ${step.volume} (replicas on ${holders.join(', ')}); add a storage node or keep repl ${holders.length}`,
  );
}

/** Replicas kept when the count goes down: the one on the pod's host first, then in placement order. */
export function chooseKeptReplicas(holders: string[], target: number, podHost: string | null): string[] {
  const ordered = podHost && holders.includes(podHost) ? [podHost, ...holders.filter((h) => h !== podHost)] : holders;
  return ordered.slice(0, target);
}

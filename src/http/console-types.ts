import type { PlanView, SnapshotView } from '../api/operations';

/** One pod as the console reads it (from the pod actor; no state names are interpreted outside console-words.ts). */
export interface ConsolePodFact {
  name: string;
  podType: string;
  index: number;
  /** The pod machine's state path, e.g. `running.up`: kept for debugging, never shown as the state. */
  state: string;
  /** The state's tags (POD_TAGS). */
  tags: string[];
  /** The actor's status: `stopped` once the scheduler stopped driving it (uninstall, stop). */
  actorStatus: string;
  reason: string | null;
  /** The last event the pod received (RESTART and REPLACE are the operator's). */
  lastEvent: string;
  agentId: string | null;
  hostname: string | null;
  /** Each volume, its in-sync replica holders (null: not read yet) and the `repl` the spec asks for. */
  volumes: { name: string; id: string | null; replicaHosts: string[] | null; repl: number | null }[];
}

/** One Mesos agent the scheduler knows, with what Portworx says of its host. */
export interface ConsoleAgentFact {
  agentId: string;
  hostname: string;
  region: string | null;
  zone: string | null;
  rack: string | null;
  gone: boolean;
  unreachable: boolean;
  /** online / alive (answers, does not serve) / offline; null: no Portworx node on the host. */
  storage: 'online' | 'alive' | 'offline' | null;
}

export interface ConsoleFrameworkFact {
  /** The supervisor's state line (debugging only). */
  state: string;
  is: { active: boolean; uninstalling: boolean; uninstalled: boolean; reinstalling: boolean };
  leading: boolean;
  subscribed: boolean;
  reason: string | null;
}

/** What the console reads of the scheduler: narrow, read-only (see console-wiring.ts for the real one). */
export interface ConsoleReadModel {
  service: string;
  framework(): ConsoleFrameworkFact;
  pods(): ConsolePodFact[];
  agents(): ConsoleAgentFact[];
  plans(): Promise<PlanView[]>;
  snapshots(): Promise<SnapshotView[]>;
}

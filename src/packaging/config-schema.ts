import type { ServiceSpec } from '../service-spec';
import type { JsonObject } from './json-schema';
import { podOptionSchema, YAML_SAFE_PATTERN } from './options-model';

/** The scheduler app's memory (`service.mem`, MiB) unless the install says otherwise; Marathon enforces it. */
export const DEFAULT_SCHEDULER_MEM_MB = 512;

/** DNS label: the service name appears in volume names, task ids, NATS subjects and the app id. */
const SERVICE_NAME_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';
/** A Marathon env value must stay one token for the shell command that uses it. */
const URL_PATTERN = '^[A-Za-z][A-Za-z0-9+.-]*://[^\\s"\\\\]+$';

function object(description: string, properties: JsonObject, required: string[] = Object.keys(properties)): JsonObject {
  return { type: 'object', description, properties, required, additionalProperties: false };
}

function serviceGroup(spec: ServiceSpec, image: string): JsonObject {
  return object('The DC/OS service: the pxfw scheduler that Marathon runs for this service.', {
    name: {
      type: 'string',
      description: 'Service name: the Marathon app id, the Mesos framework name and the NATS subject token (pxfw <name> …).',
      pattern: SERVICE_NAME_PATTERN,
      maxLength: 63,
      default: spec.name,
    },
    user: {
      type: 'string',
      description: 'Unix user the scheduler runs as on its agent.',
      pattern: '^[a-z_][a-z0-9_-]*$',
      default: 'nobody',
    },
    cpus: { type: 'number', description: 'CPU shares of the scheduler.', minimum: 0.1, default: 0.5 },
    mem: { type: 'integer', description: 'Memory of the scheduler, in MiB (its V8 heap is capped to fit).', minimum: 256, default: DEFAULT_SCHEDULER_MEM_MB },
    image: {
      type: 'string',
      description: `Container image of the scheduler; empty for the image this package ships (${image}).`,
      pattern: '^[^\\s"\\\\]*$',
      default: '',
    },
    log_level: {
      type: 'string',
      description: 'Scheduler log level.',
      enum: ['trace', 'debug', 'info', 'warn', 'error'],
      default: 'info',
    },
    ...securityOptions(),
    ...networkOptions(),
  });
}

/** DC/OS strict mode: the scheduler authenticates as a service account (the dcos-commons options). */
function securityOptions(): JsonObject {
  return {
    service_account: {
      type: 'string',
      description: 'DC/OS service account the scheduler authenticates as, and its Mesos framework principal; empty on a cluster that does not require it.',
      pattern: '^[A-Za-z0-9_.-]*$',
      default: '',
      media: { type: 'application/x-service-account+string' },
    },
    service_account_secret: {
      type: 'string',
      description: "Secret store path of the service account's credential (JSON with uid, private_key, login_endpoint); empty for none.",
      pattern: '^[A-Za-z0-9/_.-]*$',
      default: '',
      media: { type: 'application/x-secret+string' },
    },
  };
}

/** Where the pods run: a virtual network, another region (the dcos-commons options). */
function networkOptions(): JsonObject {
  return {
    virtual_network_enabled: { type: 'boolean', description: 'Run the pods on a virtual (CNI) network instead of the agents\' host network.', default: false },
    virtual_network_name: { type: 'string', description: 'The virtual network the pods join.', pattern: '^[A-Za-z0-9][-A-Za-z0-9_.]*$', default: 'dcos' },
    virtual_network_plugin_labels: {
      type: 'string',
      description: 'Labels for the network plugin, as key:value,key:value; empty for none.',
      pattern: YAML_SAFE_PATTERN,
      default: '',
    },
    region: {
      type: 'string',
      description: 'Region every pod runs in (a placement @region:IS:<region> in front of each pod type\'s own); empty for no region constraint.',
      pattern: '^[-A-Za-z0-9_.]*$',
      default: '',
      media: { type: 'application/x-region+string' },
    },
  };
}

function connectionGroups(): JsonObject {
  return {
    mesos: object('Mesos master.', {
      url: { type: 'string', description: 'Mesos master URL (PXFW_MESOS_URL); redirects to the leader are followed.', pattern: URL_PATTERN, default: 'http://leader.mesos:5050' },
    }),
    marathon: object('Marathon, so that `pxfw <service> uninstall` also removes this scheduler app.', {
      url: {
        type: 'string',
        description:
          "Marathon's REST API (PXFW_MARATHON_URL; on DC/OS the adminrouter's /marathon, e.g. https://leader.mesos/marathon). Empty: the app stays, uninstalled, until removed by hand.",
        pattern: '^([A-Za-z][A-Za-z0-9+.-]*://[^\\s"\\\\]+)?$',
        default: '',
      },
    }),
    portworx: object(
      'Portworx.',
      {
        url: {
          type: 'string',
          description: 'OpenStorage SDK REST gateway of Portworx (PXFW_PORTWORX_URL). The default reaches Portworx on the scheduler agent itself.',
          pattern: URL_PATTERN,
          default: 'http://localhost:9021',
        },
        legacy_url: {
          type: 'string',
          description: 'Portworx legacy REST endpoint for group snapshots (PXFW_PORTWORX_LEGACY_URL); empty for the SDK host on port 9001.',
          pattern: '^([A-Za-z][A-Za-z0-9+.-]*://[^\\s"\\\\]+)?$',
          default: '',
        },
      },
      ['url'],
    ),
    nats: object(
      'NATS with JetStream: state, operator commands, Portworx alerts.',
      {
        url: { type: 'string', description: 'NATS server URL(s), comma-separated (NATS_URL).', pattern: '^[^\\s"\\\\]+$', default: 'nats://nats.marathon.mesos:4222' },
        creds_secret: {
          type: 'string',
          description: 'DC/OS secret holding a NATS .creds file for the scheduler (written to the sandbox, passed as NATS_CREDS); empty for none.',
          pattern: '^[A-Za-z0-9/_.-]*$',
          default: '',
        },
      },
      ['url'],
    ),
  };
}

function failurePolicyGroup(spec: ServiceSpec): JsonObject {
  const fp = spec.failurePolicy;
  return object('When a pod counts as permanently failed and is moved to another agent holding a replica of its volume.', {
    permanent_failure_timeout: {
      type: 'integer',
      description: 'Seconds an agent may stay lost, with no other evidence that its host is down, before its pods are permanently failed.',
      minimum: 1,
      default: fp.permanentFailureTimeout,
    },
    auto_replace: {
      type: 'boolean',
      description: 'Move the pods of a host that is down to another agent automatically (else wait for pxfw <service> pod replace).',
      default: fp.autoReplace,
    },
    probation: {
      type: 'integer',
      description: 'Seconds a host must stay down (as Mesos or Portworx reports it) before its pods are replaced; a shorter outage moves nothing.',
      minimum: 1,
      default: fp.probation,
    },
    max_concurrent_replacements: {
      type: 'integer',
      description: 'Pods of one type replaced at the same time, at most; the others wait their turn.',
      minimum: 1,
      default: fp.maxConcurrentReplacements,
    },
    storage_outage: object('Pause automatic replacement when many Portworx nodes go offline at once: a storage outage, not dead hosts.', {
      share: {
        type: 'number',
        description: 'Pause when more than this share of the Portworx nodes went offline within the window (1 never pauses).',
        minimum: 0,
        exclusiveMinimum: true,
        maximum: 1,
        default: fp.storageOutage.share,
      },
      min_nodes: {
        type: 'integer',
        description: 'Pause only when at least this many Portworx nodes went offline within the window.',
        minimum: 1,
        default: fp.storageOutage.minNodes,
      },
      window: { type: 'integer', description: 'Seconds the offline nodes are counted over.', minimum: 1, default: fp.storageOutage.window },
    }),
    spread: {
      type: 'string',
      description:
        'When no replica holder of a replaced pod keeps every placement constraint: keep adds a replica where they hold and moves the pod there once it is in sync; break moves it to the holder and says which constraint it broke.',
      enum: ['keep', 'break'],
      // One service-wide option: a per-pod-type override stays a spec file matter.
      default: Object.values(fp.spread ?? {}).every((p) => p === 'break') && Object.keys(fp.spread ?? {}).length > 0 ? 'break' : 'keep',
    },
  });
}

function policyGroups(spec: ServiceSpec): JsonObject {
  return {
    failure_policy: failurePolicyGroup(spec),
    convergence: object('Hyper-converged placement: launch pods where a replica of their volume is.', {
      mode: { type: 'string', description: 'soft: fall back to any agent after max_wait; hard: wait for a replica holder.', enum: ['soft', 'hard'], default: spec.convergence.mode },
      max_wait: { type: 'integer', description: 'Seconds to wait for an offer from a replica holder (soft mode).', minimum: 1, default: spec.convergence.maxWait },
    }),
    volume_policy: {
      type: 'string',
      description: 'What scale-down and uninstall do with volumes: retain or delete.',
      enum: ['retain', 'delete'],
      default: spec.volumePolicy,
    },
  };
}

/** The config.json of a generated package: a draft-04 JSON Schema whose defaults come from the spec. */
export function buildConfigSchema(spec: ServiceSpec, image: string): JsonObject {
  const pods: JsonObject = {};
  for (const pod of Object.values(spec.pods)) pods[pod.type] = podOptionSchema(pod, spec.failurePolicy.maxUnavailable[pod.type] ?? 1);
  const properties: JsonObject = {
    service: serviceGroup(spec, image),
    ...connectionGroups(),
    ...pods,
    ...policyGroups(spec),
  };
  return { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}


import type { PodSpec, ServiceSpec } from '../service-spec';
import { formatConstraint } from '../service-spec';
import { PackageGenerateError } from './errors';
import type { JsonObject } from './json-schema';

/**
 * The install options of a generated package and where each lands in the service spec. Every
 * option that changes the spec gets a placeholder in the spec YAML; the generator swaps each for
 * the mustache tag of the option, so Cosmos substitutes the user's value at install time.
 */
export type SlotKind = 'string' | 'number' | 'integer' | 'boolean';

export interface Slot {
  /** Option path in config.json, e.g. ['node', 'count']. */
  path: string[];
  kind: SlotKind;
  /** Unique token placed in the spec YAML until it is replaced by `{{node.count}}`. */
  placeholder: string;
}

/** Top-level option groups of every package; a pod type may not use these names. */
export const RESERVED_GROUPS = ['service', 'mesos', 'marathon', 'portworx', 'nats', 'failure_policy', 'convergence', 'volume_policy', 'resource'] as const;

/** Strings put into the spec's double-quoted YAML scalars must not end the scalar or escape. */
export const YAML_SAFE_PATTERN = '^[^"\\\\\\u0000-\\u001f]*$';

export class SlotRegistry {
  readonly slots: Slot[] = [];

  add(path: string[], kind: SlotKind): string {
    const placeholder = `PXFWOPT${this.slots.length}Z`;
    this.slots.push({ path, kind, placeholder });
    return placeholder;
  }
}

const positive = (description: string, dflt: number): JsonObject => ({
  type: 'number',
  description,
  minimum: 0,
  exclusiveMinimum: true,
  default: dflt,
});

/** The option key of a volume's size/replication: plain when the pod has one volume. */
export function volumeOptionKey(pod: PodSpec, volumeName: string, what: 'size' | 'repl'): string {
  return pod.volumes.length === 1 ? `volume_${what}` : `${volumeName.replace(/-/g, '_')}_volume_${what}`;
}

/**
 * config.json property for one pod type (count, resources, placement, volume size and replicas,
 * and how many of its pods may be down at once, resolved as the spec resolves it).
 */
export function podOptionSchema(pod: PodSpec, maxUnavailable: number): JsonObject {
  const properties: JsonObject = {
    count: { type: 'integer', description: `Number of ${pod.type} pods.`, minimum: 0, default: pod.count },
    cpus: positive(`CPU shares of each ${pod.type} pod.`, pod.cpus),
    mem: positive(`Memory of each ${pod.type} pod, in MiB.`, pod.mem),
    placement: {
      type: 'string',
      description:
        'Marathon-style placement constraints in the form field:OPERATOR[:value],… (e.g. hostname:UNIQUE,@zone:GROUP_BY); empty for none.',
      pattern: YAML_SAFE_PATTERN,
      default: pod.placement.map(formatConstraint).join(','),
    },
    max_unavailable: {
      type: 'integer',
      description: `${pod.type} pods that may be down at once (failed or being replaced, restarted by an operator); at least 1.`,
      minimum: 1,
      default: maxUnavailable,
    },
  };
  for (const vol of pod.volumes) {
    properties[volumeOptionKey(pod, vol.name, 'size')] = positive(`Size of the Portworx volume '${vol.name}' of each ${pod.type} pod, in GiB.`, vol.size);
    properties[volumeOptionKey(pod, vol.name, 'repl')] = {
      type: 'integer',
      description: `Portworx replicas of the volume '${vol.name}' (1-3), spread across failure domains.`,
      minimum: 1,
      maximum: 3,
      default: vol.repl,
    };
  }
  return {
    type: 'object',
    description: `Pod type '${pod.type}'.`,
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  };
}

/** Refuse specs whose pod types collide with option groups or whose placement has no string form. */
export function checkSpecFitsPackage(spec: ServiceSpec, source: string): void {
  for (const pod of Object.values(spec.pods)) {
    if ((RESERVED_GROUPS as readonly string[]).includes(pod.type)) {
      throw new PackageGenerateError(source, `pod type '${pod.type}' collides with the option group of that name; rename the pod type`);
    }
    for (const c of pod.placement) {
      if (c.value?.includes(',') || /["\\]/.test(`${c.field}${c.value ?? ''}`)) {
        throw new PackageGenerateError(source, `pods.${pod.type}.placement: ${formatConstraint(c)} has no field:OPERATOR:value string form`);
      }
    }
  }
}

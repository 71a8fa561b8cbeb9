import type { PodSpec, ServiceSpec } from '../service-spec';
import { formatConstraint, IO_PROFILES } from '../service-spec';
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
  /** Mustache text replacing the placeholder when it is more than `{{path}}` (e.g. the region prefix). */
  tag?: string;
}

/** Top-level option groups of every package; a pod type may not use these names. */
export const RESERVED_GROUPS = ['service', 'mesos', 'marathon', 'portworx', 'nats', 'failure_policy', 'convergence', 'volume_policy', 'resource'] as const;

/** Strings put into the spec's double-quoted YAML scalars must not end the scalar or escape. */
export const YAML_SAFE_PATTERN = '^[^"\\\\\\u0000-\\u001f]*$';

export class SlotRegistry {
  readonly slots: Slot[] = [];

  add(path: string[], kind: SlotKind, tag?: string): string {
    const placeholder = `PXFWOPT${this.slots.length}Z`;
    this.slots.push({ path, kind, placeholder, ...(tag ? { tag } : {}) });
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

/** The per-volume options of a pod type, by the spec field each sets. */
export const VOLUME_OPTIONS = ['size', 'repl', 'io_profile', 'priority', 'fs', 'encryption_secret'] as const;
export type VolumeOption = (typeof VOLUME_OPTIONS)[number];

/** The option key of a volume setting: plain when the pod has one volume (`volume_size`), else prefixed by the volume. */
export function volumeOptionKey(pod: PodSpec, volumeName: string, what: VolumeOption): string {
  return pod.volumes.length === 1 ? `volume_${what}` : `${volumeName.replace(/-/g, '_')}_volume_${what}`;
}

/** The option key of a tunable env variable: its name in lower case (`MAX_HEAP_SIZE` → `max_heap_size`). */
export function tunableOptionKey(envName: string): string {
  return envName.toLowerCase();
}

function volumeOptions(pod: PodSpec, vol: PodSpec['volumes'][number]): JsonObject {
  const what = `the Portworx volume '${vol.name}' of each ${pod.type} pod`;
  return {
    [volumeOptionKey(pod, vol.name, 'size')]: {
      type: 'integer',
      description: `Size of ${what}, in GiB (whole GiB: Portworx's Docker volume driver reads no fractions).`,
      minimum: 1,
      default: vol.size,
    },
    [volumeOptionKey(pod, vol.name, 'repl')]: {
      type: 'integer',
      description: `Portworx replicas of ${what} (1-3), spread across failure domains.`,
      minimum: 1,
      maximum: 3,
      default: vol.repl,
    },
    [volumeOptionKey(pod, vol.name, 'io_profile')]: {
      type: 'string',
      description: `Portworx IO profile of ${what}; empty for Portworx's choice.`,
      enum: ['', ...IO_PROFILES],
      default: vol.ioProfile ?? '',
    },
    [volumeOptionKey(pod, vol.name, 'priority')]: {
      type: 'string',
      description: `Portworx IO priority (class of service) of ${what}.`,
      enum: ['high', 'medium', 'low'],
      default: vol.priority,
    },
    [volumeOptionKey(pod, vol.name, 'fs')]: { type: 'string', description: `File system of ${what}.`, enum: ['ext4', 'xfs'], default: vol.fs },
    [volumeOptionKey(pod, vol.name, 'encryption_secret')]: {
      type: 'string',
      description: `Name of the Portworx secret whose key encrypts ${what} (never the key itself); empty for no encryption. Fixed at creation.`,
      pattern: '^([A-Za-z0-9][-A-Za-z0-9_./]*)?$',
      default: vol.encryptionSecret ?? '',
    },
  };
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
  for (const vol of pod.volumes) Object.assign(properties, volumeOptions(pod, vol));
  for (const [name, description] of Object.entries(pod.tunables)) {
    properties[tunableOptionKey(name)] = { type: 'string', description: `${description} (${name})`, pattern: YAML_SAFE_PATTERN, default: pod.env[name] ?? '' };
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
    for (const name of Object.keys(pod.tunables)) {
      const key = tunableOptionKey(name);
      if (['count', 'cpus', 'mem', 'placement', 'max_unavailable'].includes(key) || key.includes('volume_')) {
        throw new PackageGenerateError(source, `pods.${pod.type}.tunables: ${name} would be option ${pod.type}.${key}, which another option has; rename the variable`);
      }
    }
    for (const c of pod.placement) {
      if (c.value?.includes(',') || /["\\]/.test(`${c.field}${c.value ?? ''}`)) {
        throw new PackageGenerateError(source, `pods.${pod.type}.placement: ${formatConstraint(c)} has no field:OPERATOR:value string form`);
      }
    }
  }
}

import { Document, parseDocument, visit, Scalar } from 'yaml';
import type { ServiceSpec } from '../service-spec';
import { PackageGenerateError } from './errors';
import { isJsonObject, type JsonObject } from './json-schema';
import { SlotRegistry, tunableOptionKey, VOLUME_OPTIONS, volumeOptionKey, type Slot, type SlotKind, type VolumeOption } from './options-model';

export interface SpecTemplate {
  /** The spec as YAML text with a placeholder wherever an install option goes. */
  yaml: string;
  slots: Slot[];
}

function asObject(value: unknown, at: string, source: string): JsonObject {
  if (!isJsonObject(value)) throw new PackageGenerateError(source, `${at} is not a mapping`);
  return value;
}

/** Put the placeholders of one pod type into its raw YAML mapping. */
function templatePod(raw: JsonObject, type: string, spec: ServiceSpec, slots: SlotRegistry, source: string): void {
  const pod = spec.pods[type];
  if (!pod) throw new PackageGenerateError(source, `pod type ${type} vanished while parsing`);
  raw.count = slots.add([type, 'count'], 'integer');
  raw.cpus = slots.add([type, 'cpus'], 'number');
  raw.mem = slots.add([type, 'mem'], 'number');
  raw.placement = slots.add([type, 'placement'], 'string', regionPlacement(type));
  raw.max_unavailable = slots.add([type, 'max_unavailable'], 'integer');
  const volumes = Array.isArray(raw.volumes) ? raw.volumes : [];
  volumes.forEach((v: unknown, i) => {
    const vol = asObject(v, `pods.${type}.volumes[${i}]`, source);
    const name = String(vol.name);
    for (const what of VOLUME_OPTIONS) vol[what] = slots.add([type, volumeOptionKey(pod, name, what)], VOLUME_OPTION_KINDS[what]);
  });
  if (Object.keys(pod.tunables).length > 0) {
    const env = asObject(raw.env, `pods.${type}.env`, source);
    for (const name of Object.keys(pod.tunables)) env[name] = slots.add([type, tunableOptionKey(name)], 'string');
  }
}

const VOLUME_OPTION_KINDS: Record<VolumeOption, SlotKind> = { size: 'integer', repl: 'integer', io_profile: 'string', priority: 'string', fs: 'string', encryption_secret: 'string' };

/**
 * The pod type's placement with `service.region` in front: a service in another region is pinned
 * there (`@region:IS:<region>`); with no region the placement is as configured.
 */
function regionPlacement(type: string): string {
  const placement = `{{${type}.placement}}`;
  return `{{#service.region}}@region:IS:{{service.region}}{{#${type}.placement}},{{/${type}.placement}}{{/service.region}}${placement}`;
}

/** The `network` block of the spec, present when the install enables the virtual network. */
export const NETWORK_SECTION =
  '{{#service.virtual_network_enabled}}network:\n  name: "{{service.virtual_network_name}}"\n  labels: "{{service.virtual_network_plugin_labels}}"\n{{/service.virtual_network_enabled}}';

/**
 * Launch templates of the spec (`{{TASK_NAME}}`, rendered by pxfw at launch) must reach the
 * scheduler as written, through Cosmos' own mustache rendering of marathon.json.mustache: each is
 * wrapped in set-delimiter tags, so mustache reads it as text (the mustache spec's Set Delimiter).
 */
export function protectLaunchTags(text: string): string {
  return text.replace(/\{\{[^}]*\}\}\}?/g, (tag) => `{{=<% %>=}}${tag}<%={{ }}=%>`);
}

/**
 * The framework spec with install options swapped in. The YAML is rebuilt from the parsed text
 * (comments dropped: they would describe defaults an install may have changed); string options
 * sit in double-quoted scalars so any allowed value stays one YAML string.
 */
export function templateSpec(specText: string, spec: ServiceSpec, source: string): SpecTemplate {
  const raw = asObject(parseDocument(specText).toJS(), '(root)', source);
  const slots = new SlotRegistry();
  raw.name = slots.add(['service', 'name'], 'string');
  const pods = asObject(raw.pods, 'pods', source);
  for (const type of Object.keys(pods)) templatePod(asObject(pods[type], `pods.${type}`, source), type, spec, slots, source);
  raw.failure_policy = {
    ...(isJsonObject(raw.failure_policy) ? raw.failure_policy : {}),
    permanent_failure_timeout: slots.add(['failure_policy', 'permanent_failure_timeout'], 'integer'),
    auto_replace: slots.add(['failure_policy', 'auto_replace'], 'boolean'),
    probation: slots.add(['failure_policy', 'probation'], 'integer'),
    max_concurrent_replacements: slots.add(['failure_policy', 'max_concurrent_replacements'], 'integer'),
    storage_outage: {
      share: slots.add(['failure_policy', 'storage_outage', 'share'], 'number'),
      min_nodes: slots.add(['failure_policy', 'storage_outage', 'min_nodes'], 'integer'),
      window: slots.add(['failure_policy', 'storage_outage', 'window'], 'integer'),
    },
    spread: slots.add(['failure_policy', 'spread'], 'string'),
  };
  raw.convergence = {
    ...(isJsonObject(raw.convergence) ? raw.convergence : {}),
    mode: slots.add(['convergence', 'mode'], 'string'),
    max_wait: slots.add(['convergence', 'max_wait'], 'integer'),
  };
  raw.volume_policy = slots.add(['volume_policy'], 'string');

  const doc = new Document(raw);
  const stringSlots = new Set(slots.slots.filter((s) => s.kind === 'string').map((s) => s.placeholder));
  visit(doc, {
    Scalar(_key, node: Scalar) {
      if (typeof node.value === 'string' && stringSlots.has(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  doc.commentBefore = ` ${spec.name} service spec, rendered from the package install options (source: ${source})`;
  return { yaml: doc.toString({ lineWidth: 0 }), slots: slots.slots };
}

/** Replace every placeholder in `text` by the mustache tag of its option; each must occur once. */
export function fillSlots(text: string, slots: readonly Slot[], source: string): string {
  let out = text;
  for (const slot of slots) {
    const parts = out.split(slot.placeholder);
    if (parts.length !== 2) throw new PackageGenerateError(source, `placeholder for ${slot.path.join('.')} occurs ${parts.length - 1} times`);
    out = parts.join(slot.tag ?? `{{${slot.path.join('.')}}}`);
  }
  return out;
}

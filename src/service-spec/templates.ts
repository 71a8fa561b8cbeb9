import Mustache from 'mustache';
import { discoveryView, knownNames, SIBLING_FIELDS, SIBLING_FLAGS, type DiscoveryView } from './discovery';
import { SERVICE_VARIABLES, serviceVariables } from './service-id';
import type { SpecIssue } from './errors';
import type { ServiceSpec } from './types';

/**
 * Launch templates: a pod's command, environment values and check commands may use mustache tags
 * (`{{TASK_NAME}}`, `{{NODE_HOSTS}}`, `{{#BROKER_PODS}}…{{/BROKER_PODS}}`), rendered by pxfw
 * for each pod instance when it is launched, as dcos-commons renders `{{TASK_NAME}}` and friends.
 * A tag naming nothing pxfw provides is a spec error, not an empty string on a production cluster.
 */

type Token = [string, string, number, number, Token[]?, number?];

/** What the launch templates of pod instance `<podType>-<index>` see: discovery.ts' view and the service's own variables. */
export function launchView(spec: ServiceSpec, podType: string, index: number): DiscoveryView {
  // discoveryView returns a fresh object: add to it rather than copy it again (one per launch).
  return Object.assign(discoveryView(spec, podType, index), serviceVariables(spec.name));
}

/** The names a launch template may use: discovery's and SERVICE_VARIABLES (service-id.ts). */
function launchNames(podTypes: readonly string[]): ReturnType<typeof knownNames> {
  const known = knownNames(podTypes);
  for (const name of SERVICE_VARIABLES) known.scalars.add(name);
  return known;
}

/** Render `text` for one pod instance; values go in as they are (no HTML escaping). */
export function renderTemplate(text: string, view: DiscoveryView): string {
  if (!text.includes('{{')) return text;
  return Mustache.render(text, view, {}, { escape: (s: string) => s });
}

function describe(known: ReturnType<typeof knownNames>): string {
  return `use one of ${[...known.scalars].join(', ')} or a list section ${[...known.lists].map((l) => `{{#${l}}}…{{/${l}}}`).join(', ')}`;
}

/** Issues of the tags of one token list; `inList` names the enclosing list section, if any. */
function tokenIssues(tokens: Token[], known: ReturnType<typeof knownNames>, inList: string | undefined): string[] {
  const out: string[] = [];
  const itemNames = new Set<string>(inList ? [...SIBLING_FIELDS, ...SIBLING_FLAGS] : []);
  for (const [type, name, , , children] of tokens) {
    if (type === 'text' || type === '!' || type === '=') continue;
    if (type === '>') {
      out.push(`{{>${name}}}: partials are not supported`);
    } else if (type === 'name' || type === '&') {
      if (!known.scalars.has(name) && !itemNames.has(name)) {
        const where = inList ? ` (inside {{#${inList}}} also ${[...SIBLING_FIELDS].join(', ')})` : '';
        out.push(`{{${name}}} is not a variable pxfw provides: ${describe(known)}${where}`);
      }
    } else if (type === '#' || type === '^') {
      const isFlag = inList !== undefined && (SIBLING_FLAGS as readonly string[]).includes(name);
      if (!known.lists.has(name) && !isFlag) {
        const flags = inList ? `, or ${SIBLING_FLAGS.join('/')} inside {{#${inList}}}` : '';
        out.push(`{{${type}${name}}} is not a section pxfw provides: use a list ${[...known.lists].join(', ')}${flags}`);
      }
      out.push(...tokenIssues(children ?? [], known, known.lists.has(name) ? name : inList));
    }
  }
  return out;
}

/** Problems with one template string (unknown names, unbalanced sections); empty when it renders. */
export function templateProblems(text: string, podTypes: readonly string[]): string[] {
  if (!text.includes('{{')) return [];
  let tokens: Token[];
  try {
    tokens = Mustache.parse(text) as unknown as Token[];
  } catch (err) {
    return [`not a valid template: ${(err as Error).message}`];
  }
  return tokenIssues(tokens, launchNames(podTypes), undefined);
}

/** Every template of the spec checked against the variables pxfw provides at launch. */
export function specTemplateIssues(spec: ServiceSpec): SpecIssue[] {
  const podTypes = Object.keys(spec.pods);
  const issues: SpecIssue[] = [];
  const check = (path: string, text: string | undefined) => {
    if (text !== undefined) for (const message of templateProblems(text, podTypes)) issues.push({ path, message });
  };
  for (const pod of Object.values(spec.pods)) {
    const at = `pods.${pod.type}`;
    check(`${at}.command`, pod.command);
    for (const [name, value] of Object.entries(pod.env)) check(`${at}.env.${name}`, value);
    if (pod.healthCheck?.probe.kind === 'command') check(`${at}.health_check.command`, pod.healthCheck.probe.command);
    if (pod.readinessCheck?.probe.kind === 'command') check(`${at}.readiness_check.command`, pod.readinessCheck.probe.command);
    // Snapshot commands run outside the launch: nothing renders them.
    for (const [field, text] of [['pre_snapshot', pod.preSnapshot], ['post_snapshot', pod.postSnapshot]] as const) {
      if (text?.includes('{{')) issues.push({ path: `${at}.${field}`, message: 'launch templates ({{…}}) are not rendered in snapshot commands: they run later, in the running container through the agent API; write the value out' });
    }
  }
  return issues;
}

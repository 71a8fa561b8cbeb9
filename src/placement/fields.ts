import type { FailureDomain } from './types';

/** Anything placed on or offered by an agent: enough to read constraint fields from it. */
export interface AgentLike {
  agentId: string;
  hostname: string;
  domain: FailureDomain;
  attributes?: Record<string, string>;
}

/** `hostname` and `@hostname` name the same thing; everything else stays as written. */
export function canonicalField(field: string): string {
  return field === '@hostname' ? 'hostname' : field;
}

/**
 * The value of a constraint field on an agent, or undefined when the agent lacks it. `rack` falls
 * back to the fault domain's rack so producers may fill either the attribute or the domain.
 */
export function fieldValue(agent: AgentLike, field: string): string | undefined {
  switch (field) {
    case 'hostname':
    case '@hostname':
      return agent.hostname;
    case '@zone':
      return agent.domain.zone;
    case '@region':
      return agent.domain.region;
    default: {
      const v = agent.attributes?.[field];
      if (v !== undefined) return v;
      return field === 'rack' ? agent.domain.rack : undefined;
    }
  }
}

/** Every countable field of an agent with its value: hostname, @zone, @region, rack, attributes. */
export function agentFields(agent: AgentLike): [string, string][] {
  const out: [string, string][] = [['hostname', agent.hostname]];
  if (agent.domain.zone !== undefined) out.push(['@zone', agent.domain.zone]);
  if (agent.domain.region !== undefined) out.push(['@region', agent.domain.region]);
  const attrs = agent.attributes ?? {};
  for (const key of Object.keys(attrs)) out.push([key, attrs[key]!]);
  if (attrs.rack === undefined && agent.domain.rack !== undefined) out.push(['rack', agent.domain.rack]);
  return out;
}

/** The rack of an agent as placement ranks it (attribute first, then fault domain). */
export function rackOf(agent: AgentLike): string | undefined {
  return fieldValue(agent, 'rack');
}

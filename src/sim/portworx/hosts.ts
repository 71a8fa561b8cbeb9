import { SimConfigError } from './errors';
import type { Topology } from './model/types';

export interface HostSpec {
  hostname: string;
  topology: Topology;
}

/** Default topology of the i-th (0-based) host: three racks in one zone and region. */
export function defaultTopology(i: number): Topology {
  return { rack: `rack-${(i % 3) + 1}`, zone: 'zone-1', region: 'region-1' };
}

/**
 * Parse `--hosts h1,h2=rack/zone/region,…`: each host optionally followed by `=rack[/zone[/region]]`;
 * parts left out take the defaults.
 */
export function parseHostsSpec(spec: string): HostSpec[] {
  const items = spec.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new SimConfigError('--hosts: give at least one host name, e.g. agent-1,agent-2');
  const seen = new Set<string>();
  return items.map((item, i) => {
    const [hostname = '', topo] = item.split('=', 2) as [string, string | undefined];
    if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(hostname)) {
      throw new SimConfigError(`--hosts: "${hostname}" is not a host name (letters, digits, '.' and '-')`);
    }
    if (seen.has(hostname)) throw new SimConfigError(`--hosts: ${hostname} is listed twice`);
    seen.add(hostname);
    const d = defaultTopology(i);
    if (topo === undefined) return { hostname, topology: d };
    const [rack, zone, region, extra] = topo.split('/');
    if (extra !== undefined || !rack) {
      throw new SimConfigError(`--hosts: topology of ${hostname} must be rack[/zone[/region]], got "${topo}"`);
    }
    return { hostname, topology: { rack, zone: zone || d.zone, region: region || d.region } };
  });
}

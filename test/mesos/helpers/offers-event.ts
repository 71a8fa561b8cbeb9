/**
 * An OFFERS event as a Mesos master at 2,000 agents sends it (the simulator's wire shape: four
 * resources with allocation info, a fault domain, a rack attribute): ~850 bytes of JSON per offer.
 */
export function offersEvent(count: number, extra?: { at: number; unavailability: unknown }): { type: 'OFFERS'; offers: { offers: Record<string, unknown>[] } } {
  const master = '7a1c0f3e-5b2d-4c8e-9f10-2b3c4d5e6f70';
  const alloc = { allocation_info: { role: 'px' } };
  const offers = Array.from({ length: count }, (_, i) => ({
    id: { value: `${master}-O${i}` },
    framework_id: { value: `${master}-0000` },
    agent_id: { value: `${master}-S${i}` },
    hostname: `agent-${i}.sim`,
    domain: { fault_domain: { region: { name: 'region-1' }, zone: { name: `zone-${i % 3}` } } },
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 16 }, role: '*', ...alloc },
      { name: 'mem', type: 'SCALAR', scalar: { value: 65536 }, role: '*', ...alloc },
      { name: 'disk', type: 'SCALAR', scalar: { value: 1048576 }, role: '*', ...alloc },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] }, role: '*', ...alloc },
    ],
    attributes: [{ name: 'rack', type: 'TEXT', text: { value: `rack-${i % 20}` } }],
    executor_ids: [],
    ...alloc,
    ...(extra?.at === i ? { unavailability: extra.unavailability } : {}),
  }));
  return { type: 'OFFERS', offers: { offers } };
}

/** The event's JSON text; `unavailability` is spliced in as raw text (it may hold an int64 beyond 2^53). */
export function offersEventText(count: number, extra?: { at: number; unavailability: string }): string {
  const marker = '"__raw__"';
  const text = JSON.stringify(offersEvent(count, extra ? { at: extra.at, unavailability: '__raw__' } : undefined));
  return extra ? text.replace(marker, extra.unavailability) : text;
}

import { z } from 'zod';
import { CONSTRAINT_OPERATORS } from '../service-spec/constraints';

/**
 * zod schemas of the placement inputs, for the boundary: evaluateOffers checks each request,
 * buildPlacementIndex checks the view once per round, and offer adapters call `validateOffers`
 * once per round (not per pod: that would put validation in the hot path).
 */

const nonNegative = z.number().finite().min(0);
const domain = z.object({ rack: z.string().optional(), zone: z.string().optional(), region: z.string().optional() });

export const podRequestSchema = z.object({
  service: z.string().min(1),
  podType: z.string().min(1),
  index: z.number().int().min(0),
  cpus: nonNegative,
  mem: nonNegative,
  disk: nonNegative,
  ports: z.number().int().min(0),
  fixedPorts: z.array(z.number().int().min(1).max(65535)).optional(),
  constraints: z.array(
    z.object({ field: z.string().min(1), operator: z.enum(CONSTRAINT_OPERATORS), value: z.string().optional() }),
  ),
  volumes: z.array(z.object({ name: z.string().min(1), exists: z.boolean(), replicaHosts: z.array(z.string()) })),
  convergence: z.object({ mode: z.enum(['soft', 'hard']), softWaitExpired: z.boolean() }),
  spread: z.enum(['keep', 'break']).optional(),
});

export const offerSchema = z.object({
  offerId: z.string().min(1),
  agentId: z.string().min(1),
  hostname: z.string().min(1),
  cpus: nonNegative,
  mem: nonNegative,
  disk: nonNegative,
  ports: z.array(z.object({ begin: z.number().int(), end: z.number().int() })),
  attributes: z.record(z.string(), z.string()),
  domain,
});

export const clusterViewSchema = z.object({
  agents: z.array(
    z.object({
      agentId: z.string().min(1),
      hostname: z.string().min(1),
      domain,
      attributes: z.record(z.string(), z.string()).optional(),
      pods: z.record(z.string(), z.array(z.string())),
    }),
  ),
  storage: z.record(z.string(), z.enum(['up', 'down', 'absent'])),
});

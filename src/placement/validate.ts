import type { z } from 'zod';
import { formatPath } from '../service-spec/path';
import { PlacementInputError } from './errors';
import { clusterViewSchema, offerSchema, podRequestSchema } from './schemas';
import type { ClusterView, Offer, PodRequest } from './types';

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return value as T; // keep the caller's object: no copy in the hot path
  throw new PlacementInputError(
    what,
    r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
  );
}

export const validatePodRequest = (v: unknown): PodRequest => check(podRequestSchema, v, 'pod request');
export const validateClusterView = (v: unknown): ClusterView => check(clusterViewSchema, v, 'cluster view');
export const validateOffers = (v: unknown): Offer[] => check(offerSchema.array(), v, 'offers');

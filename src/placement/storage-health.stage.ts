import type { Stage, StageContext } from './stage';
import type { Offer, StageOutcome } from './types';

export const STORAGE_HEALTH_STAGE = 'storage-health';

/** Fast check: no volumes, or the host's Portworx node is up. */
function storageUsable(offer: Offer, ctx: StageContext): boolean {
  return ctx.request.volumes.length === 0 || ctx.index.storageHealth(offer.hostname) === 'up';
}

/** A pod with volumes needs an up Portworx node on the offer's host: down or absent excludes it. */
function explainStorageHealth(offer: Offer, ctx: StageContext): StageOutcome {
  if (ctx.request.volumes.length === 0) {
    return { stage: STORAGE_HEALTH_STAGE, pass: true, reason: 'pod has no volumes' };
  }
  const health = ctx.index.storageHealth(offer.hostname);
  switch (health) {
    case 'up':
      return { stage: STORAGE_HEALTH_STAGE, pass: true, reason: `Portworx node on ${offer.hostname} is up` };
    case 'down':
      return { stage: STORAGE_HEALTH_STAGE, pass: false, reason: `Portworx node on ${offer.hostname} is down` };
    case 'absent':
      return { stage: STORAGE_HEALTH_STAGE, pass: false, reason: `no Portworx node on ${offer.hostname}` };
  }
}

/** A pod with volumes needs an up Portworx node on the offer's host. */
export const storageHealthStage: Stage = { name: STORAGE_HEALTH_STAGE, fits: storageUsable, explain: explainStorageHealth };

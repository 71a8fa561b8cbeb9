import { randomUUID } from 'node:crypto';

/**
 * Identifiers in the forms a real master uses: agent `<master-uuid>-S<n>`, framework
 * `<master-uuid>-<nnnn>`, offer `<master-uuid>-O<n>`. Status update uuids are 16 random bytes,
 * base64 on the JSON wire (protobuf `bytes`).
 */
export class IdFactory {
  private agents = 0;
  private frameworks = 0;
  private offers = 0;

  constructor(public masterId: string = randomUUID()) {}

  /** A master failover elects a new master with a new id; later offers carry it. */
  newMaster(): void {
    this.masterId = randomUUID();
  }

  agentId(): string {
    return `${this.masterId}-S${this.agents++}`;
  }

  frameworkId(): string {
    return `${this.masterId}-${String(this.frameworks++).padStart(4, '0')}`;
  }

  offerId(): string {
    return `${this.masterId}-O${this.offers++}`;
  }
}

/** A version-4 UUID's 16 bytes; randomUUID draws from a cached entropy pool, unlike randomBytes. */
export function statusUuid(): string {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64');
}

export function streamId(): string {
  return randomUUID();
}

/** True when `b64` decodes to exactly the 16 bytes of a UUID. */
export function isValidUuidBytes(b64: string): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return false;
  return Buffer.from(b64, 'base64').length === 16;
}

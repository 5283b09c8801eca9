// What the audit trail keeps of an address that matches no account: a keyed hash, never the text. The
// text typed into an email field is often a password typed one field too early; a plain hash of it could
// be reversed with a dictionary, an HMAC under a key derived from the signing master key cannot without
// the key. The same address in the same tenant gives the same fingerprint, so repeated attempts against
// one address still correlate.
import { createHmac, hkdfSync } from 'node:crypto';

export class EmailFingerprint {
  readonly #key: Buffer;

  constructor(signingMasterKey: Buffer) {
    this.#key = Buffer.from(hkdfSync('sha256', signingMasterKey, '', 'hellojohn audit email v1', 32));
  }

  /** 128 bits of HMAC-SHA256 over the tenant and the normalised address, as hex. */
  of(tenantId: string, normalizedEmail: string): string {
    return createHmac('sha256', this.#key)
      .update(`${tenantId}\0${normalizedEmail}`)
      .digest('hex')
      .slice(0, 32);
  }
}

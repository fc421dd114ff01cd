/**
 * The Temporal payload codec: every payload (workflow and activity inputs and results, signals,
 * queries, memos, encoded failure messages) is encrypted with AES-256-GCM before it leaves the
 * process, so report content, employee names and amounts are unreadable in Temporal's database.
 *
 * An encrypted payload is the whole original payload (protobuf) sealed with the current key of
 * the ring (`ENCRYPTION_KEYS`, subkey "temporal-payload"): data = iv ‖ ciphertext ‖ tag, metadata
 * `encoding: binary/encrypted` and `encryption-key-id: <ring key ID>`. Payloads without that
 * encoding (written before the codec was installed) pass through decode unchanged.
 *
 * Histories are immutable: a key leaves the ring only once no history it encrypted is retained.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { KeyRing } from '../crypto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const PayloadProto = temporal.api.common.v1.Payload;
const utf8 = (s: string) => Buffer.from(s, 'utf8');
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

/** The payload is one this codec encrypted (and can be asked to decrypt). */
export function isEncrypted(p: Payload): boolean {
  return text(p.metadata?.encoding) === ENCRYPTED_ENCODING;
}

export class PayloadEncryptionCodec implements PayloadCodec {
  constructor(private readonly ring: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const c = this.ring.encrypt('temporal-payload', PayloadProto.encode(p).finish());
      return { metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(c.kid) }, data: KeyRing.pack(c) };
    });
  }

  /** Throws UnknownKeyError when a payload names a key the ring lacks, DecryptionError when it was altered. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (!isEncrypted(p)) return p;
      const kid = text(p.metadata?.[KEY_ID_METADATA]);
      if (!kid) throw new Error(`an encrypted payload without the ${KEY_ID_METADATA} metadata`);
      const plain = this.ring.decrypt('temporal-payload', KeyRing.unpack(kid, p.data ?? new Uint8Array()));
      const decoded = PayloadProto.decode(plain);
      return { metadata: decoded.metadata, data: decoded.data };
    });
  }
}

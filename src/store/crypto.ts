/**
 * Account keys at rest: AES-256-GCM with a key of the ring (`ENCRYPTION_KEYS`), the tenant ID as
 * associated data. A sealed key copied onto another tenant's document does not open.
 *
 *   v2 (current)  { v: 2, kid: <ring key ID>, iv, tag, data }   subkey "account-key", AAD = tenant ID
 *   v1 (earlier)  { v: 1, kid: <fingerprint of the key>, iv, tag, data }   the raw ENCRYPTION_KEY, no AAD
 *
 * v1 still opens when the ring holds its key (under any ID); `npm run reseal` rewrites it as v2.
 */
import { DecryptionError, KeyRing, UnknownKeyError, aesGcmDecrypt } from '../crypto';

export interface SealedV2 {
  v: 2;
  /** ID of the ring key that sealed it. */
  kid: string;
  iv: string;
  tag: string;
  data: string;
}

/** Written by earlier versions (single ENCRYPTION_KEY); read-only. */
export interface SealedV1 {
  v: 1;
  /** First 8 hex digits of SHA-256 of the key. */
  kid: string;
  iv: string;
  tag: string;
  data: string;
}

export type Sealed = SealedV1 | SealedV2;

const b64 = (s: string) => Buffer.from(s, 'base64');
const aad = (tenantId: string) => Buffer.from(tenantId, 'utf8');

export function sealAccountKey(ring: KeyRing, tenantId: string, accountKey: string): SealedV2 {
  const c = ring.encrypt('account-key', Buffer.from(accountKey, 'utf8'), aad(tenantId));
  return { v: 2, kid: c.kid, iv: c.iv.toString('base64'), tag: c.tag.toString('base64'), data: c.data.toString('base64') };
}

/** Throws UnknownKeyError (key not in the ring) or DecryptionError (altered, or another tenant's). */
export function openAccountKey(ring: KeyRing, tenantId: string, sealed: Sealed): string {
  if (sealed.v === 1) {
    const key = ring.legacyKey(sealed.kid);
    if (!key) throw new UnknownKeyError(`fingerprint ${sealed.kid}`);
    try {
      return aesGcmDecrypt(key, { iv: b64(sealed.iv), data: b64(sealed.data), tag: b64(sealed.tag) }).toString('utf8');
    } catch {
      throw new DecryptionError('the stored account key does not decrypt (altered)');
    }
  }
  try {
    return ring.decrypt('account-key', { kid: sealed.kid, iv: b64(sealed.iv), data: b64(sealed.data), tag: b64(sealed.tag) }, aad(tenantId)).toString('utf8');
  } catch (err) {
    if (err instanceof DecryptionError) throw new DecryptionError(`the stored account key does not open for tenant ${tenantId} (altered, or sealed for another tenant)`);
    throw err;
  }
}

/** Sealed with the current key in the current format: nothing for `reseal` to do. */
export function isCurrent(ring: KeyRing, sealed: Sealed): boolean {
  return sealed.v === 2 && sealed.kid === ring.currentId;
}

/**
 * Webhook secrets at rest (the platform's endpoints, Maesn's subscriptions): as account keys, with
 * their own subkey ("webhook-secret") and the owning document's ID as associated data.
 */
export function sealWebhookSecret(ring: KeyRing, ownerId: string, secret: string): SealedV2 {
  const c = ring.encrypt('webhook-secret', Buffer.from(secret, 'utf8'), Buffer.from(ownerId, 'utf8'));
  return { v: 2, kid: c.kid, iv: c.iv.toString('base64'), tag: c.tag.toString('base64'), data: c.data.toString('base64') };
}

export function openWebhookSecret(ring: KeyRing, ownerId: string, sealed: SealedV2): string {
  return ring.decrypt('webhook-secret', { kid: sealed.kid, iv: b64(sealed.iv), data: b64(sealed.data), tag: b64(sealed.tag) }, Buffer.from(ownerId, 'utf8')).toString('utf8');
}

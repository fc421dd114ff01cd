/**
 * The encryption key ring (`ENCRYPTION_KEYS`): named 32-byte keys, the first one current.
 *
 * New data is always encrypted with the current key; anything encrypted with an older key of the
 * ring still opens, so keys can be rotated without downtime (then `npm run reseal` moves stored
 * account keys to the current key). The ring keys are never used directly: each purpose gets its
 * own AES-256 key derived with HKDF-SHA256, so an account-key ciphertext can never be mistaken
 * for a Temporal payload or the other way round.
 *
 * A ring never shows its keys: `JSON.stringify` and `util.inspect` print only the key IDs.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

export const KEY_PURPOSES = ['account-key', 'temporal-payload', 'webhook-secret'] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

export interface RingKey {
  /** Key ID, stored next to every ciphertext: letters, digits, `.`, `_`, `-`. */
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/** AES-256-GCM output: which ring key, nonce, ciphertext, tag. */
export interface Ciphertext {
  kid: string;
  iv: Buffer;
  data: Buffer;
  tag: Buffer;
}

export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A ciphertext names a key the ring does not hold (removed from ENCRYPTION_KEYS too early). */
export class UnknownKeyError extends Error {
  constructor(readonly kid: string) {
    super(`encrypted with key ID "${kid}", which ENCRYPTION_KEYS does not contain`);
    this.name = 'UnknownKeyError';
  }
}

/** The ciphertext does not open: altered, or bound to other associated data (e.g. another tenant). */
export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptionError';
  }
}

/** First 8 hex digits of SHA-256(key): how the single-key format of earlier versions named its key. */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export class KeyRing {
  readonly #keys: Map<string, Buffer>;
  readonly #derived = new Map<string, Buffer>();
  readonly currentId: string;

  constructor(keys: readonly RingKey[]) {
    if (keys.length === 0) throw new Error('a key ring needs at least one key');
    this.#keys = new Map();
    for (const k of keys) {
      if (!KEY_ID_PATTERN.test(k.id)) throw new Error(`invalid key ID "${k.id}"`);
      if (k.key.length !== 32) throw new Error(`key "${k.id}" is not 32 bytes`);
      if (this.#keys.has(k.id)) throw new Error(`key ID "${k.id}" appears twice`);
      this.#keys.set(k.id, Buffer.from(k.key));
    }
    this.currentId = keys[0].id;
  }

  /** Key IDs, current first. */
  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  has(kid: string): boolean {
    return this.#keys.has(kid);
  }

  /** True when the ring holds this exact key (under any ID). Used to refuse development keys in production. */
  contains(key: Buffer): boolean {
    return [...this.#keys.values()].some((k) => k.equals(key));
  }

  /** The raw ring key whose fingerprint this is (ciphertexts of the single-key format). */
  legacyKey(fingerprint: string): Buffer | undefined {
    return [...this.#keys.values()].find((k) => keyFingerprint(k) === fingerprint);
  }

  private subkey(kid: string, purpose: KeyPurpose): Buffer {
    const cacheKey = `${kid}\u0000${purpose}`;
    let k = this.#derived.get(cacheKey);
    if (!k) {
      const ikm = this.#keys.get(kid);
      if (!ikm) throw new UnknownKeyError(kid);
      k = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), `exact-export/${purpose}/v1`, 32));
      this.#derived.set(cacheKey, k);
    }
    return k;
  }

  /** Encrypts with the current key's subkey for `purpose`; `aad` is bound to the ciphertext (not stored). */
  encrypt(purpose: KeyPurpose, plaintext: Uint8Array, aad?: Uint8Array): Ciphertext {
    const kid = this.currentId;
    return { kid, ...aesGcmEncrypt(this.subkey(kid, purpose), plaintext, aad) };
  }

  /** Opens a ciphertext of any key in the ring. Throws UnknownKeyError or DecryptionError. */
  decrypt(purpose: KeyPurpose, c: Ciphertext, aad?: Uint8Array): Buffer {
    try {
      return aesGcmDecrypt(this.subkey(c.kid, purpose), c, aad);
    } catch (err) {
      if (err instanceof UnknownKeyError) throw err;
      throw new DecryptionError(`does not decrypt with key "${c.kid}" (${purpose}): altered, or bound to other data`);
    }
  }

  /** `iv ‖ ciphertext ‖ tag` in one buffer (the Temporal payload form). */
  static pack(c: Ciphertext): Buffer {
    return Buffer.concat([c.iv, c.data, c.tag]);
  }

  static unpack(kid: string, packed: Uint8Array): Ciphertext {
    const b = Buffer.from(packed);
    if (b.length < IV_BYTES + TAG_BYTES) throw new DecryptionError('ciphertext too short');
    return { kid, iv: b.subarray(0, IV_BYTES), data: b.subarray(IV_BYTES, b.length - TAG_BYTES), tag: b.subarray(b.length - TAG_BYTES) };
  }

  toJSON(): { current: string; keys: string[] } {
    return { current: this.currentId, keys: this.ids };
  }

  [inspect.custom](): string {
    return `KeyRing { current: ${this.currentId}, keys: [${this.ids.join(', ')}] }`;
  }
}

export function aesGcmEncrypt(key: Buffer, plaintext: Uint8Array, aad?: Uint8Array): { iv: Buffer; data: Buffer; tag: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad) cipher.setAAD(aad);
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, data, tag: cipher.getAuthTag() };
}

export function aesGcmDecrypt(key: Buffer, c: { iv: Buffer; data: Buffer; tag: Buffer }, aad?: Uint8Array): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, c.iv, { authTagLength: TAG_BYTES });
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(c.tag);
  return Buffer.concat([decipher.update(c.data), decipher.final()]);
}

/**
 * Encryption at rest for credentials (Maesn account keys): AES-256-GCM with a key from config.
 * The stored form carries a key id so keys can be rotated later.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface Sealed {
  v: 1;
  /** First 8 hex chars of SHA-256(key): which key sealed it, without revealing the key. */
  kid: string;
  iv: string;
  tag: string;
  data: string;
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function seal(plaintext: string, key: Buffer): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { v: 1, kid: keyId(key), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

export function unseal(sealed: Sealed, key: Buffer): string {
  if (sealed.kid !== keyId(key)) throw new Error('credential was sealed with a different ENCRYPTION_KEY');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
}

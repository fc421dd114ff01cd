/** Encryption primitives shared by the stores (account keys) and the Temporal payload codec. */
export {
  KeyRing,
  KEY_ID_PATTERN,
  KEY_PURPOSES,
  DecryptionError,
  UnknownKeyError,
  aesGcmDecrypt,
  aesGcmEncrypt,
  keyFingerprint,
  type Ciphertext,
  type KeyPurpose,
  type RingKey,
} from './key-ring';

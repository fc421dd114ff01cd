/**
 * The key ring and sealed account keys: rotation (an older key still opens, new data uses the
 * current one), the tenant ID bound as associated data, the earlier single-key format, and a ring
 * that never shows its keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { DecryptionError, KeyRing, UnknownKeyError } from '../../src/crypto';
import { isCurrent, openAccountKey, sealAccountKey, type SealedV1 } from '../../src/store';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const ACCOUNT_KEY = 'acc-7f3a9c2e-secret';

test('a ring encrypts with its first key and opens what any of its keys encrypted', () => {
  const old = new KeyRing([k1]);
  const c = old.encrypt('temporal-payload', Buffer.from('hello'));
  assert.equal(c.kid, 'k1');
  const rotated = new KeyRing([k2, k1]);
  assert.equal(rotated.currentId, 'k2');
  assert.equal(rotated.decrypt('temporal-payload', c).toString(), 'hello', 'the old key still opens');
  assert.equal(rotated.encrypt('temporal-payload', Buffer.from('x')).kid, 'k2', 'new data uses the current key');
  // Once the old key is gone, its ciphertexts fail naming the missing key.
  assert.throws(() => new KeyRing([k2]).decrypt('temporal-payload', c), (err: unknown) => err instanceof UnknownKeyError && /key ID "k1"/.test(err.message));
});

test('each purpose has its own derived key; the ring key itself encrypts nothing', () => {
  const ring = new KeyRing([k1]);
  const c = ring.encrypt('account-key', Buffer.from('secret'));
  assert.throws(() => ring.decrypt('temporal-payload', c), DecryptionError);
  const raw = createCipheriv('aes-256-gcm', k1.key, c.iv);
  const withRawKey = Buffer.concat([raw.update(Buffer.from('secret')), raw.final()]);
  assert.notDeepEqual(withRawKey, c.data);
});

test('a changed ciphertext or tag does not open', () => {
  const ring = new KeyRing([k1]);
  const c = ring.encrypt('temporal-payload', Buffer.from('amount 121.00'));
  const flipped = Buffer.from(c.data);
  flipped[0] ^= 1;
  assert.throws(() => ring.decrypt('temporal-payload', { ...c, data: flipped }), DecryptionError);
  assert.throws(() => ring.decrypt('temporal-payload', { ...c, tag: randomBytes(16) }), DecryptionError);
});

test('a ring prints its key IDs, never its keys', () => {
  const ring = new KeyRing([k2, k1]);
  const shown = [JSON.stringify(ring), JSON.stringify({ config: { keyRing: ring } }), inspect(ring), inspect({ ring }), String(Object.keys(ring))];
  for (const s of shown) {
    for (const k of [k1.key, k2.key]) {
      assert.ok(!s.includes(k.toString('base64')) && !s.includes(k.toString('hex')), `key shown in ${s}`);
    }
  }
  assert.deepEqual(JSON.parse(JSON.stringify(ring)), { current: 'k2', keys: ['k2', 'k1'] });
});

test('a ring refuses bad keys and duplicate IDs', () => {
  assert.throws(() => new KeyRing([]), /at least one key/);
  assert.throws(() => new KeyRing([{ id: 'k1', key: randomBytes(16) }]), /not 32 bytes/);
  assert.throws(() => new KeyRing([k1, { ...k2, id: 'k1' }]), /appears twice/);
  assert.throws(() => new KeyRing([{ id: 'a:b', key: randomBytes(32) }]), /invalid key ID/);
});

test('an account key opens for its tenant only: copied to another tenant it fails', () => {
  const ring = new KeyRing([k1]);
  const sealed = sealAccountKey(ring, 'acme', ACCOUNT_KEY);
  assert.equal(sealed.v, 2);
  assert.equal(sealed.kid, 'k1');
  assert.ok(!JSON.stringify(sealed).includes(ACCOUNT_KEY));
  assert.equal(openAccountKey(ring, 'acme', sealed), ACCOUNT_KEY);
  assert.throws(() => openAccountKey(ring, 'globex', sealed), (err: unknown) => err instanceof DecryptionError && /tenant globex/.test(err.message));
});

test('rotation: an account key sealed with the old key opens, and is not current until re-sealed', () => {
  const sealed = sealAccountKey(new KeyRing([k1]), 'acme', ACCOUNT_KEY);
  const rotated = new KeyRing([k2, k1]);
  assert.equal(openAccountKey(rotated, 'acme', sealed), ACCOUNT_KEY);
  assert.equal(isCurrent(rotated, sealed), false);
  const resealed = sealAccountKey(rotated, 'acme', openAccountKey(rotated, 'acme', sealed));
  assert.equal(isCurrent(rotated, resealed), true);
  assert.equal(openAccountKey(new KeyRing([k2]), 'acme', resealed), ACCOUNT_KEY, 'opens without the old key');
});

test('the earlier single-key format (v1) still opens when the ring holds that key', () => {
  // What earlier versions stored: the raw ENCRYPTION_KEY, no associated data, fingerprint as kid.
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k1.key, iv);
  const data = Buffer.concat([cipher.update(ACCOUNT_KEY, 'utf8'), cipher.final()]);
  const v1: SealedV1 = {
    v: 1,
    kid: createHash('sha256').update(k1.key).digest('hex').slice(0, 8),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
  const ring = new KeyRing([k2, { id: 'legacy', key: k1.key }]);
  assert.equal(openAccountKey(ring, 'acme', v1), ACCOUNT_KEY);
  assert.equal(isCurrent(ring, v1), false, 're-seal moves it to v2');
  assert.throws(() => openAccountKey(new KeyRing([k2]), 'acme', v1), UnknownKeyError);
});

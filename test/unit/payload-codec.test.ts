/**
 * The Temporal payload codec: what Temporal stores is unreadable, decodes back to the same
 * payload, names its key, survives rotation, and fails clearly for a key the ring lacks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { KeyRing, UnknownKeyError } from '../../src/crypto';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadEncryptionCodec } from '../../src/temporal';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const report = { employee: { name: 'Sanne de Boer' }, lines: [{ amount: '121.00', description: 'Treinkaartje Utrecht' }] };
const text = (b?: Uint8Array | null) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
/** A payload's bytes, whatever Uint8Array subclass carries them. */
const bytes = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('hex')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('hex'),
});

test('round trip: encode hides the content, decode gives the payload back byte for byte', async () => {
  const codec = new PayloadEncryptionCodec(new KeyRing([k1]));
  const payload = defaultPayloadConverter.toPayload(report);
  const [encoded] = await codec.encode([payload]);
  assert.equal(text(encoded.metadata!.encoding), ENCRYPTED_ENCODING);
  assert.equal(text(encoded.metadata![KEY_ID_METADATA]), 'k1');
  assert.equal(Object.keys(encoded.metadata!).length, 2, 'the original metadata is inside the ciphertext');
  for (const form of [text(encoded.data), Buffer.from(encoded.data!).toString('base64')]) {
    for (const secret of ['Sanne de Boer', '121.00', 'Treinkaartje', 'json/plain']) assert.ok(!form.includes(secret), `${secret} readable`);
  }
  const [decoded] = await codec.decode([encoded]);
  assert.deepEqual(bytes(decoded), bytes(payload));
  assert.deepEqual(defaultPayloadConverter.fromPayload(decoded), report);
});

test('every payload gets a fresh nonce: the same value encodes differently', async () => {
  const codec = new PayloadEncryptionCodec(new KeyRing([k1]));
  const p = defaultPayloadConverter.toPayload('same');
  const [a, b] = await codec.encode([p, p]);
  assert.notDeepEqual(a.data, b.data);
});

test('payloads written before the codec (not encrypted) pass through decode', async () => {
  const codec = new PayloadEncryptionCodec(new KeyRing([k1]));
  const plain = defaultPayloadConverter.toPayload({ old: true });
  assert.deepEqual((await codec.decode([plain])).map(bytes), [bytes(plain)]);
});

test('rotation: payloads of the old key decode with the new ring; new ones use the new key', async () => {
  const [old] = await new PayloadEncryptionCodec(new KeyRing([k1])).encode([defaultPayloadConverter.toPayload(report)]);
  const rotated = new PayloadEncryptionCodec(new KeyRing([k2, k1]));
  assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([old]))[0]), report);
  const [fresh] = await rotated.encode([defaultPayloadConverter.toPayload(1)]);
  assert.equal(text(fresh.metadata![KEY_ID_METADATA]), 'k2');
});

test('a payload of a key the ring lacks fails clearly, naming the key ID', async () => {
  const [encoded] = await new PayloadEncryptionCodec(new KeyRing([k1])).encode([defaultPayloadConverter.toPayload(report)]);
  await assert.rejects(new PayloadEncryptionCodec(new KeyRing([k2])).decode([encoded]), (err: unknown) => {
    assert.ok(err instanceof UnknownKeyError);
    assert.match(err.message, /key ID "k1", which ENCRYPTION_KEYS does not contain/);
    return true;
  });
  // A ring with a different key under the same ID cannot open it either.
  await assert.rejects(new PayloadEncryptionCodec(new KeyRing([{ id: 'k1', key: randomBytes(32) }])).decode([encoded]), /does not decrypt with key "k1"/);
});

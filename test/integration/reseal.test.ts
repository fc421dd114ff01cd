/**
 * Key rotation on the real database: `npm run reseal` (src/reseal.ts, as a process) moves every
 * stored account key — connections and pending credentials, current and earlier format — to the
 * current key; a second run changes nothing; afterwards the old keys can leave the ring. A sealed
 * key copied onto another tenant does not open there, and reseal reports it without showing it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { ROOT } from '../../scripts/stack';
import { DecryptionError } from '../../src/crypto';
import { loadConfig } from '../../src/config';
import { createStores, type SealedV1 } from '../../src/store';
import { testDb, testStack } from '../helpers/stack';

const keys = { legacy: randomBytes(32), k1: randomBytes(32), k2: randomBytes(32) };
const b64 = (b: Buffer) => b.toString('base64');
const ring = (...ids: (keyof typeof keys)[]) => ids.map((id) => `${id}:${b64(keys[id])}`).join(',');
const ACCOUNT = { a: 'acc-a-0f1e2d3c4b5a', b: 'acc-b-99887766aabb', c: 'acc-c-1234567890ab', d: 'acc-d-legacyformat' };

let mongo: Awaited<ReturnType<typeof testDb>>;
before(async () => {
  mongo = await testDb('reseal');
});
after(async () => {
  await mongo?.dispose();
});

const envFor = (encryptionKeys: string) => ({ MONGODB_URI: testStack().mongoUri, MONGODB_DB: mongo.db.databaseName, ENCRYPTION_KEYS: encryptionKeys, NODE_ENV: 'test' });
const storesWith = (encryptionKeys: string) => createStores(mongo.db, loadConfig(envFor(encryptionKeys)));

/** Runs the re-seal command as ops would; returns its exit code and parsed report. */
function runReseal(encryptionKeys: string): Promise<{ code: number; report: any; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/reseal.ts')], { cwd: ROOT, env: { ...process.env, ...envFor(encryptionKeys) } }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
      let report: any = null;
      try {
        report = JSON.parse(stdout);
      } catch {
        /* not JSON */
      }
      resolve({ code, report, output: stdout + stderr });
    });
  });
}

/** An account key as versions before the key ring stored it (raw ENCRYPTION_KEY, no associated data). */
function sealedV1(key: Buffer, plaintext: string): SealedV1 {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { v: 1, kid: createHash('sha256').update(key).digest('hex').slice(0, 8), iv: b64(iv), tag: b64(cipher.getAuthTag()), data: b64(data) };
}

test('rotation: the old key still opens, reseal moves everything to the current key, a second run does nothing', { timeout: 120_000 }, async () => {
  // Written while k1 was current: two connections and a pending credential; one connection from before the ring.
  const before = storesWith(ring('k1', 'legacy'));
  await before.tenants.setConnection('tenant-a', { state: 'connected', division: '1', accountKey: before.tenants.sealAccountKey('tenant-a', ACCOUNT.a) });
  await before.tenants.setConnection('tenant-b', { state: 'connected', division: '2', accountKey: before.tenants.sealAccountKey('tenant-b', ACCOUNT.b) });
  await before.tenants.storePendingCredential('tenant-c', 'state-c', '3', ACCOUNT.c);
  await before.tenants.setConnection('tenant-d', { state: 'connected', division: '4', accountKey: sealedV1(keys.legacy, ACCOUNT.d) as never });

  // k2 put first: everything still opens.
  const rotated = storesWith(ring('k2', 'k1', 'legacy'));
  assert.equal((await rotated.tenants.revealAccountKey('tenant-a'))?.accountKey, ACCOUNT.a);
  assert.equal((await rotated.tenants.revealAccountKey('tenant-d'))?.accountKey, ACCOUNT.d, 'the earlier format opens');

  const first = await runReseal(ring('k2', 'k1', 'legacy'));
  assert.equal(first.code, 0, first.output);
  assert.deepEqual(first.report, {
    currentKey: 'k2',
    connections: { resealed: 3, current: 0, failed: [] },
    pendingCredentials: { resealed: 1, current: 0, failed: [] },
  });
  for (const [id, v] of Object.entries(ACCOUNT)) assert.ok(!first.output.includes(v), `account key of ${id} printed`);

  const second = await runReseal(ring('k2', 'k1', 'legacy'));
  assert.equal(second.code, 0, second.output);
  assert.deepEqual(second.report.connections, { resealed: 0, current: 3, failed: [] }, 'idempotent');
  assert.deepEqual(second.report.pendingCredentials, { resealed: 0, current: 1, failed: [] });

  // The old keys can go now.
  const onlyNew = storesWith(ring('k2'));
  for (const t of ['a', 'b', 'd'] as const) assert.equal((await onlyNew.tenants.revealAccountKey(`tenant-${t}`))?.accountKey, ACCOUNT[t]);
  const pending = await mongo.db.collection('pending_credentials').findOne({ tenantId: 'tenant-c' });
  assert.equal((await onlyNew.tenants.adoptPendingCredential('tenant-c', String(pending!._id), 'test'))?.accountKey, ACCOUNT.c);
  const stored = await mongo.db.collection('connections').find({}).toArray();
  assert.deepEqual(stored.map((c) => [c.accountKey.v, c.accountKey.kid]), stored.map(() => [2, 'k2']));
});

test("a sealed key copied onto another tenant does not open; reseal reports it and leaves it", { timeout: 60_000 }, async () => {
  const stores = storesWith(ring('k2'));
  const a = await mongo.db.collection('connections').findOne({ _id: 'tenant-a' as never });
  await stores.tenants.setConnection('tenant-x', { state: 'connected', division: '1', accountKey: a!.accountKey });
  await assert.rejects(stores.tenants.revealAccountKey('tenant-x'), (err: unknown) => err instanceof DecryptionError && /tenant tenant-x/.test((err as Error).message));

  const r = await runReseal(ring('k2'));
  assert.equal(r.code, 1, 'exits non-zero when a key does not open');
  assert.deepEqual(r.report.connections.failed.map((f: any) => f.id), ['tenant-x'], 'every key is opened, current ones too');
  assert.equal(r.report.connections.current, 3);
  // With a new current key the others move; the copied one stays as it is.
  const r2 = await runReseal(`k3:${b64(randomBytes(32))},${ring('k2')}`);
  assert.equal(r2.code, 1);
  assert.deepEqual(r2.report.connections.failed.map((f: any) => f.id), ['tenant-x']);
  assert.match(r2.report.connections.failed[0].reason, /does not open for tenant tenant-x/);
  assert.equal(r2.report.connections.resealed, 3, 'the others moved to k3');
  assert.equal(r2.report.pendingCredentials.resealed, 1);
  assert.ok(!r2.output.includes(ACCOUNT.a));
  assert.equal((await mongo.db.collection('connections').findOne({ _id: 'tenant-x' as never }))!.accountKey.kid, 'k2', 'left as it was');
  await mongo.db.collection('connections').deleteOne({ _id: 'tenant-x' as never });
});

test('a key missing from the ring is named, and nothing is changed', { timeout: 60_000 }, async () => {
  const r = await runReseal(ring('k1'));
  assert.equal(r.code, 1);
  assert.equal(r.report.connections.failed.length, 3);
  assert.match(r.report.connections.failed[0].reason, /key ID "k3", which ENCRYPTION_KEYS does not contain/);
  assert.equal(r.report.connections.resealed, 0);
});

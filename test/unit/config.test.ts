import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSandboxConfig } from '@exact-export/maesn-sandbox';
import { ConfigError, DEV_DEFAULTS, loadConfig, loadDevConfig } from '../../src/config';

test('defaults describe the embedded stack', () => {
  const c = loadConfig({});
  assert.equal(c.temporal.address, '127.0.0.1:7233');
  assert.equal(c.temporal.namespace, 'default');
  assert.equal(c.mongo.uri, 'mongodb://127.0.0.1:27017');
  assert.equal(c.maesn.baseUrl, 'http://127.0.0.1:4010');
  assert.equal(c.maesn.targetSystem, 'exact-nl');
  assert.equal(c.maesn.apiKey, DEV_DEFAULTS.maesnApiKey);
  assert.equal(c.api.port, 3000);
  assert.deepEqual(c.keyRing.toJSON(), { current: 'dev', keys: ['dev'] }, 'the development key ring');
  const s = loadSandboxConfig({});
  assert.equal(s.port, 4010);
  assert.equal(s.apiKey, c.maesn.apiKey, 'product and sandbox share the dev API key');
  assert.equal(s.signingSecret, c.maesn.signingSecret, 'and the signing secret');
  assert.deepEqual(s.rateLimit, { perMinute: 60, perDay: 5000 });
  assert.deepEqual(loadDevConfig({}), { dataDir: '.data', temporalPort: 7233, temporalUiPort: 8233, mongoPort: 27017 });
});

test('environment overrides defaults and numbers are coerced', () => {
  const c = loadConfig({ API_PORT: '8080', MAESN_TARGET_SYSTEM: 'exact-be', TEMPORAL_ADDRESS: 'temporal:7233', LOG_PRETTY: 'false' });
  assert.equal(c.api.port, 8080);
  assert.equal(c.maesn.targetSystem, 'exact-be');
  assert.equal(c.temporal.address, 'temporal:7233');
  assert.equal(c.log.pretty, false);
});

test('empty strings count as unset', () => {
  assert.equal(loadConfig({ API_PORT: '' }).api.port, 3000);
});

test('a bad variable fails fast, naming the variable and not echoing its value', () => {
  assert.throws(
    () => loadConfig({ API_PORT: 'eighty', MAESN_API_KEY: 'short', MONGODB_URI: 'postgres://secret-host' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const vars = err.issues.map((i) => i.variable).sort();
      assert.deepEqual(vars, ['API_PORT', 'MAESN_API_KEY', 'MONGODB_URI']);
      assert.match(err.message, /API_PORT/);
      assert.doesNotMatch(err.message, /secret-host/);
      return true;
    },
  );
  assert.throws(() => loadConfig({ MAESN_TARGET_SYSTEM: 'xero' }), /MAESN_TARGET_SYSTEM/);
  assert.throws(() => loadConfig({ ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') }), /ENCRYPTION_KEY: must be 32 bytes/);
});

const key32 = () => randomBytes(32).toString('base64');

test('ENCRYPTION_KEYS: <id>:<key> entries, the first current; errors name the entry, never the key', () => {
  const c = loadConfig({ ENCRYPTION_KEYS: `k2:${key32()}, k1:${key32()}` });
  assert.deepEqual(c.keyRing.toJSON(), { current: 'k2', keys: ['k2', 'k1'] });
  const short = Buffer.alloc(16, 7).toString('base64');
  assert.throws(
    () => loadConfig({ ENCRYPTION_KEYS: `k2:${key32()},k1:${short},nocolon,k2:${key32()}` }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.issues.map((i) => i.variable), ['ENCRYPTION_KEYS', 'ENCRYPTION_KEYS', 'ENCRYPTION_KEYS']);
      assert.match(err.message, /entry 2 \(k1\): the key must be 32 bytes/);
      assert.match(err.message, /entry 3: expected <id>:<base64 key>/);
      assert.match(err.message, /entry 4: key ID k2 appears twice/);
      assert.ok(!err.message.includes(short) && !err.message.includes('nocolon'), 'values are not echoed');
      return true;
    },
  );
});

test('the earlier single ENCRYPTION_KEY is a ring of one key with ID legacy; with ENCRYPTION_KEYS it is refused', () => {
  const k = key32();
  assert.deepEqual(loadConfig({ ENCRYPTION_KEY: k }).keyRing.toJSON(), { current: 'legacy', keys: ['legacy'] });
  assert.ok(loadConfig({ ENCRYPTION_KEY: k }).keyRing.contains(Buffer.from(k, 'base64')));
  assert.throws(() => loadConfig({ ENCRYPTION_KEY: k, ENCRYPTION_KEYS: `k1:${key32()}` }), /ENCRYPTION_KEY: set only ENCRYPTION_KEYS \(put this key in it as "legacy:<key>"\)/);
});

/** A production environment with no development default left. */
const productionEnv = () => ({
  NODE_ENV: 'production',
  MAESN_API_KEY: 'prod-api-key-0123456789',
  MAESN_SIGNING_SECRET: 'prod-signing-secret-0123456789',
  ENCRYPTION_KEYS: `k1:${key32()}`,
});

test('NODE_ENV=production refuses every development default, naming the variable', () => {
  assert.equal(loadConfig(productionEnv()).env, 'production');
  const devKey = DEV_DEFAULTS.encryptionKey;
  const cases: [Record<string, string | undefined>, string][] = [
    [{ MAESN_API_KEY: DEV_DEFAULTS.maesnApiKey }, 'MAESN_API_KEY'],
    [{ MAESN_API_KEY: undefined }, 'MAESN_API_KEY'],
    [{ MAESN_SIGNING_SECRET: DEV_DEFAULTS.maesnSigningSecret }, 'MAESN_SIGNING_SECRET'],
    [{ MAESN_SIGNING_SECRET: undefined }, 'MAESN_SIGNING_SECRET'],
    [{ ENCRYPTION_KEYS: undefined }, 'ENCRYPTION_KEYS'],
    [{ ENCRYPTION_KEYS: `dev:${devKey}` }, 'ENCRYPTION_KEYS'],
    // Not even as an old key of the ring.
    [{ ENCRYPTION_KEYS: `k2:${key32()},k1:${devKey}` }, 'ENCRYPTION_KEYS'],
    [{ ENCRYPTION_KEYS: undefined, ENCRYPTION_KEY: devKey }, 'ENCRYPTION_KEY'],
  ];
  for (const [change, variable] of cases) {
    const env: Record<string, string | undefined> = { ...productionEnv(), ...change };
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => err instanceof ConfigError && err.issues.length === 1 && err.issues[0].variable === variable && /development default/.test(err.message),
      `${JSON.stringify(Object.keys(change))} → ${variable}`,
    );
  }
  // Development and test runs keep their defaults.
  assert.doesNotThrow(() => loadConfig({ NODE_ENV: 'test' }));
});

test('Temporal TLS: off for the dev server; an API key implies TLS; certificates from files or PEM variables', () => {
  assert.equal(loadConfig({}).temporal.tls, null);
  const cloud = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'tcld-key' });
  assert.deepEqual(cloud.temporal.tls, { serverCa: undefined, clientCert: undefined, clientKey: undefined, serverName: undefined });
  assert.equal(cloud.temporal.apiKey, 'tcld-key');
  assert.equal(loadConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).temporal.tls, null, 'explicitly off');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-config-'));
  try {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    fs.writeFileSync(path.join(dir, 'client.pem'), pem);
    fs.writeFileSync(path.join(dir, 'client.key'), pem);
    const mtls = loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'client.pem'), TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'client.key'), TEMPORAL_TLS_SERVER_CA_CERT_DATA: pem });
    assert.deepEqual(mtls.temporal.tls?.clientCert, { path: path.join(dir, 'client.pem') });
    assert.deepEqual(mtls.temporal.tls?.serverCa, { pem });
    assert.throws(() => loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'missing.pem') }), /TEMPORAL_TLS_CLIENT_CERT_PATH: is not a readable file/);
    assert.throws(() => loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'client.pem') }), /TEMPORAL_TLS_CLIENT_KEY_PATH: a client certificate needs its key/);
    assert.throws(() => loadConfig({ TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'not pem' }), /TEMPORAL_TLS_SERVER_CA_CERT_DATA: must be PEM/);
    assert.throws(
      () => loadConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'client.pem'), TEMPORAL_TLS_SERVER_CA_CERT_DATA: pem }),
      /TEMPORAL_TLS_SERVER_CA_CERT_DATA: set either TEMPORAL_TLS_SERVER_CA_CERT_PATH or _DATA/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('codec origins default to the Temporal UI; platform keys are a list', () => {
  assert.deepEqual(loadConfig({}).codec.corsOrigins, ['http://localhost:8233']);
  assert.deepEqual(loadConfig({ TEMPORAL_UI_URL: 'https://temporal.example.com/ui/' }).codec.corsOrigins, ['https://temporal.example.com']);
  assert.throws(() => loadConfig({ CODEC_CORS_ORIGINS: 'http://localhost:8233/path' }), /CODEC_CORS_ORIGINS/);
  const a = 'a'.repeat(32);
  const b = 'b'.repeat(32);
  assert.deepEqual(loadConfig({ PLATFORM_API_KEY: `${a}, ${b}` }).access.platformKeys, [a, b]);
  assert.throws(() => loadConfig({ PLATFORM_API_KEY: 'short' }), /PLATFORM_API_KEY: each key must be at least 32 characters/);
  assert.equal(loadConfig({}).retention.receiptsMs, 30 * 24 * 3600_000);
  assert.equal(loadConfig({}).ops.port, null, 'no ops listener unless asked for');
});

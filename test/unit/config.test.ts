import { test } from 'node:test';
import assert from 'node:assert/strict';
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
  assert.equal(c.encryptionKey.length, 32);
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

/**
 * The API's access configuration: several platform keys (rotation), and NODE_ENV=production
 * refuses to start without one (or with the development key), naming the variable only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, DEV_DEFAULTS, loadApiConfig, loadConfig } from '../../src/config';
import { TokenService, isVerified } from '../../src/api/tokens';

const ROOT = path.resolve(__dirname, '../..');
const KEY_A = 'platform-key-a-0123456789abcdefghijklmnop';
const KEY_B = 'platform-key-b-0123456789abcdefghijklmnop';

test('development: the development platform key unless PLATFORM_API_KEY is set; several keys for rotation', () => {
  assert.deepEqual(loadApiConfig({}).access.platformKeys, [DEV_DEFAULTS.platformApiKey]);
  assert.deepEqual(loadApiConfig({ PLATFORM_API_KEY: `${KEY_A}, ${KEY_B}` }).access.platformKeys, [KEY_A, KEY_B]);
  assert.throws(() => loadApiConfig({ PLATFORM_API_KEY: 'short' }), (e: unknown) => e instanceof ConfigError && /PLATFORM_API_KEY: each key must be at least 32/.test(e.message) && !e.message.includes('short,'));
});

test('production: no platform key, or the development one, is refused naming the variable (never its value)', () => {
  // The other development defaults are set to own values here: only the platform key is under test.
  const prod = {
    NODE_ENV: 'production',
    MAESN_API_KEY: 'prod-maesn-key-0123456789',
    MAESN_SIGNING_SECRET: 'prod-signing-secret-0123456789',
    ENCRYPTION_KEYS: `p1:${Buffer.alloc(32, 7).toString('base64')}`,
  };
  assert.throws(() => loadApiConfig(prod), (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.variable === 'PLATFORM_API_KEY'));
  assert.throws(
    () => loadApiConfig({ ...prod, PLATFORM_API_KEY: `${KEY_A},${DEV_DEFAULTS.platformApiKey}` }),
    (e: unknown) => e instanceof ConfigError && /PLATFORM_API_KEY: the development key is refused/.test(e.message) && !e.message.includes(KEY_A),
  );
  assert.deepEqual(loadApiConfig({ ...prod, PLATFORM_API_KEY: KEY_A }).access.platformKeys, [KEY_A]);
  assert.equal(loadApiConfig({ ...prod, PLATFORM_API_KEY: KEY_A }).access.secureTransport, true);
  // The worker does not need the platform key.
  assert.doesNotThrow(() => loadConfig(prod));
});

test('NODE_ENV=production without a platform key: the API process exits non-zero naming PLATFORM_API_KEY', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'silent' };
  delete env.PLATFORM_API_KEY;
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/api/main.ts')], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /PLATFORM_API_KEY/);
});

test('tokens: signed with the first key, accepted while any configured key matches (rotation)', async () => {
  const before = new TokenService([KEY_A]);
  const during = new TokenService([KEY_B, KEY_A]);
  const after = new TokenService([KEY_B]);
  const old = (await before.sign('admin-session', 'acme', 60_000)).token;
  assert.ok(isVerified(await during.verify('admin-session', old)), 'an old session survives the start of a rotation');
  assert.equal(await after.verify('admin-session', old), null, 'and ends with the old key');
  const fresh = (await during.sign('admin-session', 'acme', 60_000)).token;
  assert.ok(isVerified(await after.verify('admin-session', fresh)));
  // One kind of token is never accepted as another.
  assert.equal(await during.verify('admin-link', fresh), null);
  const connect = (await during.sign('connect', 'acme', 60_000, { state: 's-1' })).token;
  const v = await during.verify('connect', connect);
  assert.ok(isVerified(v) && v.state === 's-1' && v.tenantId === 'acme');
});

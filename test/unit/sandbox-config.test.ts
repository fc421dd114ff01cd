import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSandboxConfig, SandboxConfigError, sandboxEnvVars } from '@exact-export/maesn-sandbox';

test('sandbox defaults: loopback port 4010, state in .data/sandbox, the public URL derived from host and port', () => {
  const c = loadSandboxConfig({});
  assert.deepEqual([c.host, c.port, c.dataDir, c.publicUrl, c.publicUrlSet], ['127.0.0.1', 4010, '.data/sandbox', 'http://127.0.0.1:4010', false]);
  assert.equal(c.log.pretty, true, 'pretty in development');
  const p = loadSandboxConfig({ NODE_ENV: 'production', SANDBOX_HOST: '0.0.0.0', SANDBOX_PORT: '4999', SANDBOX_PUBLIC_URL: 'https://sandbox.example', SANDBOX_RATE_LIMIT_PER_MINUTE: '7' });
  assert.deepEqual([p.host, p.port, p.publicUrl, p.publicUrlSet, p.rateLimit.perMinute, p.log.pretty], ['0.0.0.0', 4999, 'https://sandbox.example', true, 7, false]);
  assert.equal(loadSandboxConfig({ SANDBOX_PORT: '' }).port, 4010, 'an empty string counts as unset');
});

test('a bad sandbox variable fails fast, naming the variable and not echoing its value', () => {
  assert.throws(
    () => loadSandboxConfig({ SANDBOX_PORT: 'eighty', MAESN_API_KEY: 'short', SANDBOX_PUBLIC_URL: 'not a url' }),
    (err: unknown) => {
      assert.ok(err instanceof SandboxConfigError);
      assert.deepEqual(err.issues.map((i) => i.variable).sort(), ['MAESN_API_KEY', 'SANDBOX_PORT', 'SANDBOX_PUBLIC_URL']);
      assert.doesNotMatch(err.message, /short|eighty/);
      return true;
    },
  );
});

test('the sandbox reads only its own variables and the two Maesn credentials it shares with the product', () => {
  assert.deepEqual(
    sandboxEnvVars.filter((v) => !v.startsWith('SANDBOX_')).sort(),
    ['LOG_LEVEL', 'LOG_PRETTY', 'MAESN_API_KEY', 'MAESN_SIGNING_SECRET', 'NODE_ENV'],
  );
});

/** The README's configuration table documents every variable the processes read. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { sandboxEnvVars } from '@exact-export/maesn-sandbox';
import { productEnvVars } from '../../src/config';

test('every environment variable is in the README', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  const documented = new Set([...readme.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]));
  const missing = [...new Set([...productEnvVars, ...sandboxEnvVars])].filter((v) => !documented.has(v));
  assert.deepEqual(missing, []);
  const [first, second] = [...readme.matchAll(/^make (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual([first, second], ['dev', 'test'], 'the first two commands');
});

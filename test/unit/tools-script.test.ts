/**
 * scripts/tools.sh: reuses pinned tools, and without Go, Java or Maven says what to install
 * instead of failing obscurely.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** A copy of the script in an empty project root, so nothing from this checkout is reused. */
function isolatedScript() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tools-'));
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.copyFileSync(path.join(ROOT, 'scripts/tools.sh'), path.join(dir, 'scripts/tools.sh'));
  return { dir, script: path.join(dir, 'scripts/tools.sh') };
}

function run(script: string, env: Record<string, string>, args: string[] = []) {
  return spawnSync('/bin/bash', [script, ...args], { env: { PATH: '/usr/bin:/bin', ...env }, encoding: 'utf8' });
}

/** Stand-ins that report the pinned versions of the Go-built tools, so the script gets to the test server. */
function fakeGoTools(dir: string) {
  const temporal = path.join(dir, 'fake-temporal');
  const ferretdb = path.join(dir, 'fake-ferretdb');
  fs.writeFileSync(temporal, '#!/bin/sh\necho "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)"\n', { mode: 0o755 });
  fs.writeFileSync(ferretdb, '#!/bin/sh\necho "version: v1.24.2"\n', { mode: 0o755 });
  return { TEMPORAL_CLI: temporal, FERRETDB_BIN: ferretdb };
}

/** A PATH with the script's basic commands and only the given extra ones (java, mvn). */
function pathWith(dir: string, extra: string[]): string {
  const bin = path.join(dir, 'path-bin');
  fs.mkdirSync(bin);
  for (const cmd of ['bash', 'sh', 'cat', 'cp', 'chmod', 'dirname', 'grep', 'head', 'mkdir', 'mktemp', 'mv', 'rm', 'sed', 'tail', ...extra]) {
    const found = ['/usr/bin', '/bin'].map((d) => path.join(d, cmd)).find((p) => fs.existsSync(p));
    if (found) fs.symlinkSync(found, path.join(bin, cmd));
  }
  return bin;
}

const TEST_SERVER_JARS = path.join(ROOT, '.tools/lib/temporal-test-server-1.31.0');
const hasJava = spawnSync('java', ['-version']).status === 0;

test('without Go it stops with what to install and how to use docker compose instead', () => {
  const { dir, script } = isolatedScript();
  try {
    const r = run(script, { HOME: dir }); // PATH without Go, empty cache
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /'go' is not on PATH/);
    assert.match(r.stderr, /Install Go 1\.25 or newer/);
    assert.match(r.stderr, /docker compose up/);
    assert.match(r.stderr, /TEMPORAL_CLI=/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a TEMPORAL_CLI that is not the pinned version is refused', () => {
  const { dir, script } = isolatedScript();
  try {
    const fake = path.join(dir, 'fake-temporal');
    fs.writeFileSync(fake, '#!/bin/sh\necho "temporal version 9.9.9 (Server 9.9.9, UI 1.0)"\n', { mode: 0o755 });
    const r = run(script, { HOME: dir, TEMPORAL_CLI: fake });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /is not the Temporal CLI v1\.5\.1/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tools named by TEMPORAL_CLI, FERRETDB_BIN and TEMPORAL_TEST_SERVER are reused without building', { skip: !fs.existsSync(path.join(ROOT, '.tools/bin/temporal')) && 'run `make tools` first' }, () => {
  const { dir, script } = isolatedScript();
  try {
    const bin = path.join(ROOT, '.tools/bin');
    const r = run(script, { HOME: dir, TEMPORAL_CLI: path.join(bin, 'temporal'), FERRETDB_BIN: path.join(bin, 'ferretdb'), TEMPORAL_TEST_SERVER: path.join(bin, 'temporal-test-server') });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /temporal version 1\.5\.1 \(Server 1\.29\.1/);
    assert.match(r.stderr, /ferretdb: .* \(v1\.24\.2\)/);
    assert.match(r.stderr, /temporal-test-server: .* \(temporal-test-server 1\.31\.0\)/);
    assert.doesNotMatch(r.stderr, /building|resolving/);
    assert.deepEqual(fs.readdirSync(path.join(dir, '.tools/bin')), [], 'nothing built or copied');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without Maven it stops with what to install for the time-skipping test server', { skip: !hasJava && 'no java here' }, () => {
  const { dir, script } = isolatedScript();
  try {
    const r = run(script, { HOME: dir, PATH: pathWith(dir, ['java']), ...fakeGoTools(dir) });
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /cannot provide temporal-test-server 1\.31\.0: 'mvn' \(Maven\) is not on PATH/);
    assert.match(r.stderr, /io\.temporal:temporal-test-server:1\.31\.0 from Maven Central/);
    assert.match(r.stderr, /TEMPORAL_TEST_SERVER=/);
    assert.equal(fs.existsSync(path.join(dir, '.tools/bin/temporal-test-server')), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without Java it says so, even with the jars already in the cache', { skip: !fs.existsSync(TEST_SERVER_JARS) && 'run `make tools` first' }, () => {
  const { dir, script } = isolatedScript();
  try {
    const cache = path.join(dir, 'cache');
    fs.mkdirSync(path.join(cache, 'temporal-test-server-1.31.0'), { recursive: true });
    fs.symlinkSync(TEST_SERVER_JARS, path.join(cache, 'temporal-test-server-1.31.0/lib'));
    const r = run(script, { HOME: dir, PATH: pathWith(dir, ['mvn']), EXACT_EXPORT_TOOLS_CACHE: cache, ...fakeGoTools(dir) });
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /'java' is not on PATH/);
    assert.match(r.stderr, /Install a Java runtime/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a TEMPORAL_TEST_SERVER that is not the pinned version is refused', () => {
  const { dir, script } = isolatedScript();
  try {
    const fake = path.join(dir, 'fake-test-server');
    fs.writeFileSync(fake, '#!/bin/sh\necho "temporal-test-server 1.20.0"\n', { mode: 0o755 });
    const r = run(script, { HOME: dir, TEMPORAL_TEST_SERVER: fake, ...fakeGoTools(dir) });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /is not temporal-test-server 1\.31\.0/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the test server comes from the cache without Maven: a wrapper that reports the jar it finds, checked on reuse', { skip: (!fs.existsSync(TEST_SERVER_JARS) && 'run `make tools` first') || (!hasJava && 'no java here') }, () => {
  const { dir, script } = isolatedScript();
  try {
    const cache = path.join(dir, 'cache');
    fs.mkdirSync(path.join(cache, 'temporal-test-server-1.31.0'), { recursive: true });
    fs.symlinkSync(TEST_SERVER_JARS, path.join(cache, 'temporal-test-server-1.31.0/lib'));
    const env = { HOME: dir, PATH: pathWith(dir, ['java']), EXACT_EXPORT_TOOLS_CACHE: cache, ...fakeGoTools(dir) };
    const r = run(script, env);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /resolving/, 'no Maven run');
    const wrapper = path.join(dir, '.tools/bin/temporal-test-server');
    const v = spawnSync(wrapper, ['--version'], { encoding: 'utf8' });
    assert.equal(v.stdout.trim(), 'temporal-test-server 1.31.0');
    assert.ok(fs.existsSync(path.join(dir, '.tools/lib/temporal-test-server-1.31.0/temporal-test-server-1.31.0.jar')), 'the jars are copied next to the wrapper');
    assert.match(fs.readFileSync(wrapper, 'utf8'), /io\.temporal\.testserver\.TestServer "\$@"/);
    assert.equal(run(script, env, ['--check']).status, 0);

    // Without its jar the wrapper reports no version, and the tool counts as missing.
    fs.rmSync(path.join(dir, '.tools/lib/temporal-test-server-1.31.0'), { recursive: true });
    assert.notEqual(spawnSync(wrapper, ['--version']).status, 0);
    assert.equal(run(script, env, ['--check']).status, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('what `make dev` asks for (temporal, ferretdb) needs neither Java nor Maven', () => {
  const { dir, script } = isolatedScript();
  try {
    const env = { HOME: dir, PATH: pathWith(dir, []), ...fakeGoTools(dir) };
    const r = run(script, env, ['temporal', 'ferretdb']);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /temporal-test-server/);
    assert.equal(run(script, env, ['--check']).status, 1, 'the test server is still missing');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the FerretDB built here carries the `_id` patches (lookups by `_id` use its unique index, also with more conditions)', { skip: !fs.existsSync(path.join(ROOT, '.tools/bin/ferretdb')) && 'run `make tools` first' }, () => {
  const v = execFileSync(path.join(ROOT, '.tools/bin/ferretdb'), ['--version'], { encoding: 'utf8' });
  assert.match(v, /^version: v1\.24\.2$/m);
  assert.match(v, /^package: patched-id-index-3$/m, 'scripts/tools.sh builds FerretDB with the two `_id` lookup patches');
});

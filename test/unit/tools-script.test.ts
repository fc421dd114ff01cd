/** scripts/tools.sh: reuses pinned binaries, and without Go says what to install instead of failing obscurely. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

function run(script: string, env: Record<string, string>) {
  return spawnSync('bash', [script], { env: { PATH: '/usr/bin:/bin', ...env }, encoding: 'utf8' });
}

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

test('binaries named by TEMPORAL_CLI and FERRETDB_BIN are reused without building', { skip: !fs.existsSync(path.join(ROOT, '.tools/bin/temporal')) && 'run `make tools` first' }, () => {
  const { dir, script } = isolatedScript();
  try {
    const r = run(script, { HOME: dir, TEMPORAL_CLI: path.join(ROOT, '.tools/bin/temporal'), FERRETDB_BIN: path.join(ROOT, '.tools/bin/ferretdb') });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /temporal version 1\.5\.1 \(Server 1\.29\.1/);
    assert.match(r.stderr, /ferretdb: .* \(v1\.24\.2\)/);
    assert.doesNotMatch(r.stderr, /building/);
    assert.deepEqual(fs.readdirSync(path.join(dir, '.tools/bin')), [], 'nothing built or copied');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

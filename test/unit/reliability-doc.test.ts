/**
 * RELIABILITY.md is rendered from test/fixtures/reliability.ts, whose figures the reliability tests
 * measure on every run. `UPDATE_RELIABILITY=1 npm test -- test/unit/reliability-doc.test.ts` rewrites it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { RELIABILITY_SCENARIOS, renderReliability } from '../fixtures/reliability';

const ROOT = path.resolve(__dirname, '../..');
const DOC = path.join(ROOT, 'RELIABILITY.md');

test('RELIABILITY.md shows the figures the reliability tests check', () => {
  const rendered = renderReliability();
  if (process.env.UPDATE_RELIABILITY) fs.writeFileSync(DOC, rendered);
  assert.equal(fs.readFileSync(DOC, 'utf8'), rendered, 'RELIABILITY.md is out of date: UPDATE_RELIABILITY=1 npm test -- test/unit/reliability-doc.test.ts');
});

test('every scenario names a test that exists and asserts its figures; no export is lost or doubled', () => {
  for (const s of RELIABILITY_SCENARIOS) {
    const file = path.join(ROOT, s.test);
    assert.ok(fs.existsSync(file), s.test);
    assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`assertFigures\\('${s.id}'`), `${s.test} checks the figures of ${s.id}`);
    assert.equal(s.figures.completed, s.figures.exports, s.id);
    assert.equal(s.figures.duplicates, 0, s.id);
    assert.equal(s.figures.openRuns, 0, s.id);
  }
});

test('the README links to RELIABILITY.md', () => {
  assert.match(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), /\(RELIABILITY\.md\)/);
});

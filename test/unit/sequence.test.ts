import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lastInSequence } from '../../src/store/mongo';

/** A sequence 1..n read by number, counting reads. */
function sequence(n: number) {
  const reads: number[] = [];
  return {
    reads,
    get: async (i: number) => {
      reads.push(i);
      return i >= 1 && i <= n ? { i } : null;
    },
  };
}

describe('lastInSequence (newest lease generation, newest export revision, read by _id)', () => {
  test('finds the last number of every sequence length, from nothing known', async () => {
    for (let n = 0; n <= 70; n++) {
      const s = sequence(n);
      const r = await lastInSequence(s.get);
      assert.deepEqual(r, n === 0 ? null : { n, doc: { i: n } }, `n=${n}`);
      assert.ok(s.reads.length <= 2 * Math.ceil(Math.log2(n + 2)) + 1, `n=${n}: ${s.reads.length} reads`);
    }
  });

  test('from a recent known number it reads twice; a known number that is gone starts over', async () => {
    const s = sequence(40);
    assert.deepEqual(await lastInSequence(s.get, 40), { n: 40, doc: { i: 40 } });
    assert.deepEqual(s.reads, [40, 41]);
    const t = sequence(5);
    assert.deepEqual(await lastInSequence(t.get, 9), { n: 5, doc: { i: 5 } });
  });

  test('a new sequence costs one read', async () => {
    const s = sequence(0);
    assert.equal(await lastInSequence(s.get), null);
    assert.deepEqual(s.reads, [1]);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../../src/domain';

test('canonical JSON does not depend on key order and drops undefined members', () => {
  const a = canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: 'x' }, u: undefined });
  const b = canonicalJson({ a: { c: 'x', d: [1, { x: 1, y: 2 }] }, b: 1 });
  assert.equal(a, b);
  assert.equal(a, '{"a":{"c":"x","d":[1,{"x":1,"y":2}]},"b":1}');
  assert.notEqual(canonicalJson({ a: [1, 2] }), canonicalJson({ a: [2, 1] }), 'array order matters');
  assert.equal(canonicalJson([undefined]), '[null]', 'like JSON.stringify in arrays');
});

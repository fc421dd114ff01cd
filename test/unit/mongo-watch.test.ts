/**
 * watchServerChecks: the MongoDB driver (7.9) can send a server check on a connection whose socket
 * the server has just closed and then wait for ever (it awaits a 'drain' that a destroyed socket
 * never emits); no later check runs and the client stays unable to select the server after the
 * database is back (seen with FerretDB stopped for 30 s). The watch sees a check that neither
 * succeeded nor failed in time, from the client's public monitoring events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { watchServerChecks } from '../../src/store';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a check that never ends is reported once; checks that end, and a stopped watch, are not', async () => {
  const client = new EventEmitter();
  const stuck: string[] = [];
  const stop = watchServerChecks(client as never, { stuckAfterMs: 60, checkEveryMs: 10, onStuck: (address) => stuck.push(address) });
  client.emit('serverHeartbeatStarted', { connectionId: 'db:1' });
  client.emit('serverHeartbeatStarted', { connectionId: 'db:2' });
  client.emit('serverHeartbeatStarted', { connectionId: 'db:3' });
  await wait(20);
  client.emit('serverHeartbeatSucceeded', { connectionId: 'db:2' });
  client.emit('serverHeartbeatFailed', { connectionId: 'db:3' });
  await wait(150);
  assert.deepEqual(stuck, ['db:1'], 'the check that never ended, once');

  client.emit('serverHeartbeatStarted', { connectionId: 'db:1' });
  stop();
  await wait(150);
  assert.deepEqual(stuck, ['db:1'], 'nothing after stop');
  assert.equal(client.listenerCount('serverHeartbeatStarted'), 0);
});

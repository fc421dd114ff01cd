/**
 * Proof of the test harness: a workflow runs on the real Temporal dev server and its activity
 * writes to the real MongoDB-protocol database (FerretDB) and reads the document back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { testDb, testStack, uniqueId } from '../helpers/stack';
import { harnessActivities } from '../fixtures/harness-activities';
import { harnessWorkflow } from '../fixtures/harness-workflows';

let env: TestWorkflowEnvironment;
let mongo: Awaited<ReturnType<typeof testDb>>;

before(async () => {
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: testStack().temporalAddress });
  mongo = await testDb('harness');
});

after(async () => {
  await env?.teardown();
  await mongo?.dispose();
});

test('a workflow on the dev server runs an activity that writes to FerretDB and reads it back', async () => {
  const taskQueue = uniqueId('harness');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../fixtures/harness-workflows'),
    activities: harnessActivities(mongo.db),
  });
  const key = uniqueId('k');
  const result = await worker.runUntil(async () => {
    await env.client.workflow.execute(harnessWorkflow, { taskQueue, workflowId: uniqueId('harness-1'), args: [key, 'first'] });
    return env.client.workflow.execute(harnessWorkflow, { taskQueue, workflowId: uniqueId('harness-2'), args: [key, 'second'] });
  });
  assert.deepEqual(result, { stored: 'second', count: 2 });

  // The document is really in the database, not only in the activity's memory.
  const doc = await mongo.db.collection<{ _id: string; value: string }>('harness').findOne({ _id: key });
  assert.equal(doc?.value, 'second');

  // And the run is in the server's history: the activity completed exactly twice across both runs.
  const description = await env.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` });
  let runs = 0;
  for await (const wf of description) {
    assert.equal(wf.status.name, 'COMPLETED');
    runs++;
  }
  assert.equal(runs, 2);
});

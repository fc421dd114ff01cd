import { Client, Connection, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
(async () => {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const client = new Client({ connection });
  const id = 'dbg-' + Date.now();
  const action = { type: 'startWorkflow' as const, workflowType: 'x', workflowId: 'w', taskQueue: 'q', args: [{ a: 1 }] };
  await client.schedule.create({ scheduleId: id, spec: { intervals: [{ every: '1h' }] }, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
  const h = client.schedule.getHandle(id);
  await h.pause('p');
  console.log('paused', (await h.describe()).state.paused);
  try { await client.schedule.create({ scheduleId: id, spec: { intervals: [{ every: '1h' }] }, action }); } catch (e) { console.log('create err', (e as Error).constructor.name, e instanceof ScheduleAlreadyRunning); }
  await h.update((prev) => ({ ...prev, spec: { intervals: [{ every: '1h' }] }, action }));
  console.log('after update', (await h.describe()).state.paused);
  await h.unpause('u');
  console.log('after unpause', (await h.describe()).state.paused);
  await new Promise((r) => setTimeout(r, 2000));
  console.log('later', (await h.describe()).state.paused);
  await h.delete();
  await connection.close();
})();

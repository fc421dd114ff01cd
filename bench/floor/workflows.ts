/** The floor: a workflow that runs `activities` activities that do nothing, one after the other. */
import { proxyActivities } from '@temporalio/workflow';
import type { FloorActivities } from './worker';

const { noop } = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

export async function floorWorkflow(activities: number): Promise<void> {
  for (let i = 0; i < activities; i++) await noop();
}

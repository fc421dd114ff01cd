/** Maesn's change events on the Temporal side: hands a verified event to the tenant's debounced change sync. */
import { masterDataChangedSignal, searchAttributes, workflowIds } from '../workflows/definitions';
import { syncChangedMasterData } from '../workflows/master-data-changes';
import type { ServiceDeps } from './deps';

export async function masterDataChanged(deps: ServiceDeps, tenantId: string, resource: string): Promise<{ workflowId: string }> {
  const workflowId = workflowIds.masterDataChanges(tenantId);
  await deps.temporal.workflow.signalWithStart(syncChangedMasterData, {
    workflowId,
    taskQueue: deps.config.temporal.taskQueue,
    args: [{ tenantId, debounce: deps.config.maesnWebhooks.debounce as never }],
    signal: masterDataChangedSignal,
    signalArgs: [{ resource }],
    typedSearchAttributes: [{ key: searchAttributes.tenantId, value: tenantId }],
  });
  return { workflowId };
}

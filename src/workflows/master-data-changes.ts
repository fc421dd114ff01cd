/**
 * syncChangedMasterData (ID `sync:<tenantId>:changes`): Maesn's change events of one tenant
 * (signalled by the API when a verified webhook arrives) start an incremental sync of just the
 * resources that changed, debounced: events arriving within `debounce` of each other make one
 * sync. The run ends after `idleTimeout` without events (the next event starts a new one). The
 * hourly schedule remains the safety net for anything a webhook missed.
 */
import { allHandlersFinished, condition, continueAsNew, executeChild, log, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { masterDataChangedSignal, workflowIds } from './definitions';
import { failureOf } from './failures';
import { syncMasterData } from './sync';

export interface SyncChangedMasterDataInput {
  tenantId: string;
  /** Quiet time after the last event before the sync starts (MAESN_WEBHOOK_DEBOUNCE). */
  debounce: Duration;
  /** Carried over by continue-as-new. */
  pending?: string[];
  idleTimeout?: Duration;
}

const SYNCS_PER_RUN = 100;

export async function syncChangedMasterData(input: SyncChangedMasterDataInput): Promise<{ syncs: number }> {
  const { tenantId } = input;
  const pending = new Set<string>(input.pending ?? []);
  let events = 0;
  setHandler(masterDataChangedSignal, ({ resource }) => {
    pending.add(resource);
    events++;
  });

  let syncs = 0;
  for (;;) {
    if (pending.size === 0 && !(await condition(() => pending.size > 0, input.idleTimeout ?? '1 minute')) && pending.size === 0) break;
    // Debounce: wait until no event came for `debounce`.
    for (let seen = events; await condition(() => events !== seen, input.debounce); seen = events);
    const resources = [...pending].sort();
    pending.clear();
    syncs++;
    try {
      await executeChild(syncMasterData, {
        workflowId: workflowIds.changeSync(tenantId, workflowInfo().runId, syncs),
        args: [{ tenantId, mode: 'incremental', trigger: 'webhook', resources }],
      });
    } catch (err) {
      // The failed run is recorded (sync.failed); the schedule reads the changes later.
      log.warn('sync after a Maesn change event failed', { tenantId, resources, error: failureOf(err).message });
    }
    if (syncs >= SYNCS_PER_RUN) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof syncChangedMasterData>({ ...input, pending: [...pending] });
    }
  }
  await condition(allHandlersFinished);
  return { syncs };
}

/**
 * Measuring a reliability scenario (test/fixtures/reliability.ts): the faults the sandbox injected,
 * how many exports ended posted, duplicate entries, runs left open.
 */
import assert from 'node:assert/strict';
import type { LoggedRequest } from '@exact-export/maesn-sandbox';
import { scenario, type Figures } from '../fixtures/reliability';
import { carries, exportPath } from './exports';
import { eventually, type Product } from './product';

/** Injected answers in the sandbox's request log, by `<operation> <answer>`. */
export function faultsInLog(log: LoggedRequest[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of log) {
    if (!r.fault) continue;
    const answer = r.fault === 'status' ? String(r.status) : r.fault;
    const key = `${r.operation} ${r.committed ? `committed, then ${answer}` : answer}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

export interface Measured extends Figures {
  /** Statuses of the exports that did not end posted (for the failure message). */
  notPosted: Record<string, string>;
}

/**
 * Measures a scenario once every export has settled: `processFaults` are what the test did to
 * processes (a kill, a restart), the rest comes from the sandbox, the API and Temporal.
 */
export async function measure(p: Product, tenantId: string, reportIds: string[], division: string, processFaults: Record<string, number> = {}): Promise<Measured> {
  const notPosted: Record<string, string> = {};
  const references: string[] = [];
  for (const r of reportIds) {
    const body = (await p.call('GET', exportPath(tenantId, r))).body;
    references.push(body.reference);
    if (body.status !== 'posted') notPosted[r] = body.status;
  }
  const entries = await p.sandbox.listJournalEntries(division);
  let duplicates = 0;
  for (const ref of references) {
    const n = entries.filter((e) => e.journalLineItems.some((l) => carries(l.description, ref))).length;
    duplicates += Math.max(0, n - 1);
  }
  // Visibility lags a little behind the runs closing.
  let openRuns = -1;
  await eventually(async () => {
    openRuns = (await p.temporal.workflow.count(`TenantId = '${tenantId}' AND ExecutionStatus = 'Running'`)).count;
    return openRuns === 0;
  }, 'export runs to close', 15_000).catch(() => undefined);
  return {
    faults: { ...faultsInLog(await p.sandbox.listRequests()), ...processFaults },
    exports: reportIds.length,
    completed: reportIds.length - Object.keys(notPosted).length,
    duplicates,
    openRuns,
    notPosted,
  };
}

/** The measured figures must be the ones RELIABILITY.md shows. */
export function assertFigures(id: string, m: Measured): void {
  const { notPosted, ...figures } = m;
  // Printed so a run's log shows what was measured.
  console.log(`[reliability] ${id}: ${JSON.stringify(figures)}`);
  assert.deepEqual(
    figures,
    scenario(id).figures,
    `measured figures differ from test/fixtures/reliability.ts (not posted: ${JSON.stringify(notPosted)}); fix the product or, if the scenario changed on purpose, the fixture and RELIABILITY.md`,
  );
}

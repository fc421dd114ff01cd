/**
 * What the export tests share: the export's routes, waiting for a status, and the entries the
 * sandbox stored for a report (found by the reference every line carries, as a person would in Exact).
 */
import assert from 'node:assert/strict';
import type { StoredEntry } from '@exact-export/maesn-sandbox';
import { eventually, type Product } from './product';

export const exportPath = (tenantId: string, reportId: string) => `/api/tenants/${tenantId}/expense-reports/${reportId}/export`;

/** Statuses an export waits in for a person (or never leaves). */
export const SETTLED_STATUSES = ['posted', 'cancelled', 'rejected', 'needs_review', 'waiting_for_mappings', 'waiting_for_reauthorization'];

/** Polls GET …/export until its status is one of `statuses`; returns the body. */
export async function waitForExport(p: Product, tenantId: string, reportId: string, statuses: string | string[], timeoutMs = 60_000): Promise<any> {
  const wanted = Array.isArray(statuses) ? statuses : [statuses];
  let last: unknown;
  try {
    return await eventually(
      async () => {
        const r = await p.call('GET', exportPath(tenantId, reportId));
        last = r.body?.status === 'waiting_for_mappings' ? `${r.body.status}: ${JSON.stringify(r.body.missing)}` : r.body?.status;
        return wanted.includes(r.body?.status) ? r.body : null;
      },
      `export ${reportId} to be ${wanted.join(' or ')}`,
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message} (last status: ${String(last)})`);
  }
}

/** True when `text` carries `reference` as a whole token. */
export const carries = (text: string | null | undefined, reference: string): boolean => !!text && text.split(/\s+/).includes(reference);

/** Every entry stored in `division` (also those a fault keeps invisible) with a line carrying `reference`. */
export async function entriesWith(p: Product, division: string, reference: string): Promise<StoredEntry[]> {
  const all = await p.sandbox.listJournalEntries(division);
  return all.filter((e) => e.journalLineItems.some((l) => carries(l.description, reference)));
}

/** Waits until the sandbox has received `n` createJournalEntry calls since its log was cleared. */
export async function waitForPosts(p: Product, n: number, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => (await p.sandbox.listRequests({ operation: 'createJournalEntry' })).length >= n, `${n} POST(s) to reach the sandbox`, timeoutMs);
}

export async function postCount(p: Product): Promise<number> {
  return (await p.sandbox.listRequests({ operation: 'createJournalEntry' })).length;
}

/**
 * Approves a report as the platform should: 202, or a 503 (database or Temporal overloaded, as
 * in a burst of 100 on this 2-core machine) sent again after its Retry-After, a few times.
 */
export async function submit(p: Product, tenantId: string, report: { reportId: string }): Promise<any> {
  for (let attempt = 1; ; attempt++) {
    const r = await p.call('POST', exportPath(tenantId, report.reportId), report);
    if (r.status === 503 && attempt < 4) {
      await new Promise((res) => setTimeout(res, Number(r.headers.get('retry-after') ?? 5) * 1000));
      continue;
    }
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return r.body;
  }
}

/**
 * `POST /accounting/passThrough`: Maesn forwards a request to the target system and answers with
 * its raw response in `data` (201). The sandbox serves the Exact endpoints the product reads this
 * way — `financial/FinancialPeriods` and `read/financial/JournalStatusList` (GET, OData v2 shape
 * `{ d: { results } }`, dates as `/Date(ms)/`, `$filter` of the form `Field eq value [and …]`);
 * anything else is a 404 from the target system.
 */
import express, { type Express } from 'express';
import { badRequest, notFound } from '../http-errors';
import { isObj, str } from '../entry-input';
import { listPeriods, periodState } from '../periods';
import type { RouteDeps } from '../pipeline';

const odataDate = (isoDate: string) => `/Date(${Date.parse(`${isoDate}T00:00:00Z`)})/`;

/** Applies `Field eq value [and Field eq value …]` (numbers or quoted strings) to rows. */
function applyFilter(rows: Record<string, unknown>[], filter: string | undefined): Record<string, unknown>[] {
  if (!filter) return rows;
  const terms = filter.split(/\s+and\s+/i).map((t) => {
    const m = /^\s*(\w+)\s+eq\s+(?:'([^']*)'|(-?\d+))\s*$/.exec(t);
    if (!m) throw badRequest(`unsupported $filter term '${t}' (the sandbox understands "Field eq value")`);
    return { field: m[1], value: m[2] !== undefined ? m[2] : Number(m[3]) };
  });
  return rows.filter((r) => terms.every((t) => r[t.field] === t.value));
}

export function registerPassThroughRoutes(app: Express, { ctx, pipeline }: RouteDeps): void {
  app.post(
    '/accounting/passThrough',
    ...pipeline.api(
      'createPassThroughRequest',
      (req, res, { division }) => {
        const body: unknown = req.body;
        if (!isObj(body)) throw badRequest('body must be a JSON object with path and method');
        const path = (str(body.path) ?? '').replace(/^\/+/, '').replace(/^api\/v1\/(\{division\}|\d+)\//, '');
        const method = str(body.method);
        if (!path || !method) throw badRequest('path and method are required', [{ code: 'MANDATORY', message: 'Mandatory: path, method' }]);
        const query = isObj(body.query) ? body.query : {};
        const now = ctx.clock.wall();
        let rows: Record<string, unknown>[];
        if (method === 'GET' && path === 'financial/FinancialPeriods') {
          rows = listPeriods(division, now).map((p) => ({
            ID: `${division.info.code}-${p.id}`,
            Division: Number(division.info.code),
            FinYear: p.year,
            FinPeriod: p.period,
            StartDate: odataDate(p.startDate),
            EndDate: odataDate(p.endDate),
          }));
        } else if (method === 'GET' && path === 'read/financial/JournalStatusList') {
          rows = listPeriods(division, now).flatMap((p) =>
            division.journals.list().map((j) => ({ Journal: j.code, Year: p.year, Period: p.period, Status: periodState(division, p.id, now) === 'closed' ? 1 : 0 })),
          );
        } else {
          throw notFound(`Target system: ${method} ${path} is not available`);
        }
        res.status(201).json({ data: { d: { results: applyFilter(rows, str(query.$filter)) } } });
      },
      { body: express.json({ limit: '1mb' }) },
    ),
  );
}

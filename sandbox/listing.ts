/**
 * How Maesn lists and single records are answered: `page`/`limit` (5, 10, 20, 50 or 100),
 * `lastModifiedAt` (records changed strictly after it), `rawData=true` (Exact's OData shape beside
 * the DTOs), and boolean query filters.
 */
import type { Request, Response } from 'express';
import { q } from './context';
import { badRequest, itemEnvelope, listEnvelope, notFound } from './http-errors';

const ALLOWED_LIMITS = new Set(['5', '10', '20', '50', '100']);
const DEFAULT_LIMIT = 100;

interface ListQuery {
  page: number;
  limit: number;
  lastModifiedAt: number | null;
  rawData: boolean;
}

function parseListQuery(req: Request): ListQuery {
  const limitRaw = q(req, 'limit');
  if (limitRaw !== undefined && !ALLOWED_LIMITS.has(limitRaw)) {
    throw badRequest('limit must be one of 5, 10, 20, 50, 100', [{ code: 'INVALID', message: `Invalid: limit '${limitRaw}' (allowed: 5, 10, 20, 50, 100)`, field: 'limit' }]);
  }
  const pageRaw = q(req, 'page');
  if (pageRaw !== undefined && !/^[1-9]\d{0,8}$/.test(pageRaw)) {
    throw badRequest('page must be a positive integer', [{ code: 'INVALID', message: `Invalid: page '${pageRaw}'`, field: 'page' }]);
  }
  const lmRaw = q(req, 'lastModifiedAt');
  let lastModifiedAt: number | null = null;
  if (lmRaw !== undefined && lmRaw !== '') {
    const t = /^\d{4}-\d{2}-\d{2}/.test(lmRaw) ? Date.parse(lmRaw) : NaN;
    if (Number.isNaN(t)) throw badRequest('lastModifiedAt must be an ISO 8601 timestamp', [{ code: 'INVALID', message: `Invalid: lastModifiedAt '${lmRaw}'`, field: 'lastModifiedAt' }]);
    lastModifiedAt = t;
  }
  return { page: pageRaw ? Number(pageRaw) : 1, limit: limitRaw ? Number(limitRaw) : DEFAULT_LIMIT, lastModifiedAt, rawData: q(req, 'rawData') === 'true' };
}

/** A `true`/`false` query parameter; undefined when absent, 400 naming it otherwise. */
export function boolFilter(req: Request, name: string): boolean | undefined {
  const v = q(req, name);
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw badRequest(`${name} must be true or false`, [{ code: 'INVALID', message: `Invalid: ${name} '${v}'`, field: name }]);
}

function modifiedAfter<T extends { updatedDate: string }>(items: T[], lm: number | null): T[] {
  if (lm === null) return items;
  // updatedDate is always a normalised ISO UTC string, so string order is time order.
  const iso = new Date(lm).toISOString();
  return items.filter((i) => i.updatedDate > iso);
}

function page<T>(items: T[], lq: ListQuery): { slice: T[]; pagination: { total: number; perPage: number; currentPage: number; totalPages: number } } {
  const start = (lq.page - 1) * lq.limit;
  return {
    slice: items.slice(start, start + lq.limit),
    pagination: { total: items.length, perPage: lq.limit, currentPage: lq.page, totalPages: Math.ceil(items.length / lq.limit) },
  };
}

/** Answers a list operation: filtered by lastModifiedAt, one page, DTOs (and raw records on request). */
export function listResponse<T extends { updatedDate: string }>(req: Request, res: Response, items: T[], dto: (t: T) => unknown, raw: (t: T) => unknown): void {
  const lq = parseListQuery(req);
  const filtered = modifiedAfter(items, lq.lastModifiedAt);
  const { slice, pagination } = page(filtered, lq);
  res.status(200).json(listEnvelope(slice.map(dto), pagination, lq.rawData ? { d: { results: slice.map(raw) } } : null));
}

/** Answers a single-record operation, or 404 naming what was not found. */
export function singleResponse<T>(req: Request, res: Response, rec: T | undefined, what: string, dto: (t: T) => unknown, raw: (t: T) => unknown): void {
  if (!rec) throw notFound(`${what} not found`);
  res.status(200).json(itemEnvelope(dto(rec), q(req, 'rawData') === 'true' ? { d: raw(rec) } : null));
}

/**
 * Sandbox-only control API under `/_sandbox` (X-API-KEY required; never part of Maesn's API).
 * Used by tests and demos to shape the simulated Exact administration and to inject faults.
 *
 *   GET    /_sandbox/divisions                                   list divisions
 *   POST   /_sandbox/divisions                                   { code, name, generate?, empty? }
 *   POST   /_sandbox/divisions/:division/reset                   back to the division's seed
 *   GET    /_sandbox/divisions/:division/journalEntries          all stored entries (no paging), also those a fault
 *                                                                  keeps invisible; `postedDescription` = the header as sent
 *   POST   /_sandbox/divisions/:division/:kind                   create master record
 *   PATCH  /_sandbox/divisions/:division/:kind/:ref              change (ref = id or code)
 *   DELETE /_sandbox/divisions/:division/:kind/:ref              delete
 *   POST   /_sandbox/divisions/:division/:kind/:ref/block|unblock
 *   POST   /_sandbox/divisions/:division/periods/:period/close|reopen   (period = YYYY-MM)
 *   POST   /_sandbox/connections                                 { division, targetSystem? } → { accountKey }
 *   POST   /_sandbox/connections/revoke                          { accountKey }
 *   GET|POST|DELETE /_sandbox/faults                             list / add (FaultSpec) / clear
 *   GET|DELETE /_sandbox/requests                                every Maesn call with its status and fault (?operation=&division=) / clear
 *   GET    /_sandbox/rate-limits                                 limits and each division's count this minute and today
 *   PUT    /_sandbox/rate-limits                                 { perMinute, perDay }
 *   POST   /_sandbox/rate-limits/reset                           { division? } clears counters
 *
 * kind ∈ accounts | journals | taxRates | costCenters | costUnits | suppliers.
 * Every create/change stamps updatedDate (so lastModifiedAt picks it up); delete removes the record.
 * Each change is also announced to the division's webhook subscriptions (see ../webhooks.ts).
 */
import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import { z } from 'zod';
import { checkApiKey, createConnection, type SandboxContext } from '../context';
import { SandboxHttpError, badRequest, notFound } from '../http-errors';
import { PERIOD_RE } from '../entry-input';
import { divisionEntryDto } from '../mapping';
import { masterSchemas, setBlocked, toInput, toRecord } from '../master-records';
import { MASTER_KINDS, type DivisionState, type MasterKind } from '../state';
import { TARGET_SYSTEMS } from '../types';

const divisionCreateSchema = z.object({
  code: z.string().regex(/^\d{1,9}$/),
  name: z.string().min(1),
  empty: z.boolean().optional(),
  generate: z
    .object({
      suppliers: z.number().int().min(0).max(1_000_000).optional(),
      accounts: z.number().int().min(0).max(100_000).optional(),
      costCenters: z.number().int().min(0).max(100_000).optional(),
      costUnits: z.number().int().min(0).max(100_000).optional(),
      seed: z.number().int().optional(),
    })
    .optional(),
});

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    throw badRequest(
      'Invalid control request',
      r.error.issues.map((i) => ({ code: 'INVALID', message: i.message, field: i.path.join('.') })),
    );
  }
  return r.data;
}

export function registerControlRoutes(app: Express, ctx: SandboxContext): void {
  const r = express.Router();
  r.use((req: Request, _res: Response, next: NextFunction) => {
    checkApiKey(ctx, req);
    next();
  });
  r.use(express.json({ limit: '50mb' }));

  const div = (req: Request): DivisionState => {
    const d = ctx.state.divisions.get(String(req.params.division));
    if (!d) throw notFound(`Division ${String(req.params.division)} does not exist`);
    return d;
  };
  const kindOf = (req: Request): MasterKind => {
    const k = String(req.params.kind);
    if (!(MASTER_KINDS as readonly string[]).includes(k)) throw notFound(`Unknown master data kind '${k}' (use ${MASTER_KINDS.join(', ')})`);
    return k as MasterKind;
  };

  r.get('/divisions', (_req, res) => {
    res.json({
      data: [...ctx.state.divisions.values()].map((d) => ({
        code: d.info.code,
        name: d.info.name,
        seed: d.info.seed,
        counts: {
          accounts: d.accounts.size,
          journals: d.journals.size,
          taxRates: d.taxRates.size,
          costCenters: d.costCenters.size,
          costUnits: d.costUnits.size,
          suppliers: d.suppliers.size,
          journalEntries: d.entries.length,
        },
      })),
    });
  });

  r.post('/divisions', (req, res) => {
    const b = parse(divisionCreateSchema, req.body);
    if (ctx.state.divisions.has(b.code)) throw new SandboxHttpError(409, 'CONFLICT', `Division ${b.code} already exists`);
    const d = ctx.state.createDivision({
      code: b.code,
      name: b.name,
      seed: b.generate ? { kind: 'generated', options: b.generate } : b.empty ? { kind: 'empty' } : { kind: 'demo', variant: 'main' },
      createdDate: ctx.toIso(),
    });
    res.status(201).json({ data: { code: d.info.code, name: d.info.name } });
  });

  r.post('/divisions/:division/reset', (req, res) => {
    const d = div(req);
    ctx.state.resetDivision(d.info.code);
    ctx.limiter.reset(d.info.code);
    res.json({ data: { code: d.info.code, reset: true } });
  });

  r.get('/divisions/:division/journalEntries', (req, res) => {
    const d = div(req);
    res.json({
      data: d.entries.map((e) => ({
        ...divisionEntryDto(d, e),
        attachments: e.files,
        postedDescription: e.description,
        visibleAfter: e.visibleAfter ?? null,
        listedAfter: e.listedAfter ?? null,
      })),
    });
  });

  r.post('/divisions/:division/periods/:period/:action', (req, res) => {
    const d = div(req);
    const period = String(req.params.period);
    if (!PERIOD_RE.test(period)) throw badRequest(`period must be YYYY-MM, got '${period}'`);
    const action = String(req.params.action);
    if (action !== 'close' && action !== 'reopen') throw notFound(`Unknown period action '${action}' (close|reopen)`);
    d.ledger.periods[period] = action === 'close' ? 'closed' : 'open';
    d.persistLedger();
    res.json({ data: { period, status: d.ledger.periods[period] } });
  });

  r.post('/divisions/:division/:kind', (req, res) => {
    const d = div(req);
    const kind = kindOf(req);
    const input = parse(masterSchemas[kind], req.body) as Record<string, unknown>;
    const coll = d.collection(kind);
    if (coll.getByCode(String(input.code))) throw new SandboxHttpError(409, 'CONFLICT', `${kind} code ${String(input.code)} already exists`);
    if (typeof input.id === 'string' && coll.getById(input.id)) throw new SandboxHttpError(409, 'CONFLICT', `${kind} id ${input.id} already exists`);
    const rec = toRecord(kind, input, {}, ctx.toIso());
    coll.put(rec);
    d.persistMaster(kind);
    ctx.webhooks.emit(d.info.code, kind, 'CREATED', rec.id);
    res.status(201).json({ data: rec });
  });

  const update = (req: Request, res: Response, patch: Record<string, unknown>): void => {
    const d = div(req);
    const kind = kindOf(req);
    const coll = d.collection(kind);
    const prev = coll.byIdOrCode(String(req.params.ref));
    if (!prev) throw notFound(`${kind} '${String(req.params.ref)}' not found in division ${d.info.code}`);
    const merged = parse(masterSchemas[kind], { ...toInput(kind, prev), ...patch, id: prev.id }) as Record<string, unknown>;
    const other = coll.getByCode(String(merged.code));
    if (other && other.id !== prev.id) throw new SandboxHttpError(409, 'CONFLICT', `${kind} code ${String(merged.code)} already exists`);
    const rec = toRecord(kind, merged, prev, ctx.toIso());
    coll.put(rec);
    d.persistMaster(kind);
    ctx.webhooks.emit(d.info.code, kind, 'UPDATED', rec.id);
    res.json({ data: rec });
  };

  r.patch('/divisions/:division/:kind/:ref', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('body must be an object');
    const { id: _id, createdDate: _c, updatedDate: _u, ...patch } = body;
    void _id;
    void _c;
    void _u;
    update(req, res, patch);
  });

  r.post('/divisions/:division/:kind/:ref/:action', (req, res) => {
    const action = String(req.params.action);
    if (action !== 'block' && action !== 'unblock') throw notFound(`Unknown action '${action}' (block|unblock)`);
    const d = div(req);
    const kind = kindOf(req);
    const prev = d.collection(kind).byIdOrCode(String(req.params.ref));
    if (!prev) throw notFound(`${kind} '${String(req.params.ref)}' not found in division ${d.info.code}`);
    update(req, res, setBlocked(kind, prev, action === 'block', ctx.clock.wall()));
  });

  r.delete('/divisions/:division/:kind/:ref', (req, res) => {
    const d = div(req);
    const kind = kindOf(req);
    const coll = d.collection(kind);
    const prev = coll.byIdOrCode(String(req.params.ref));
    if (!prev) throw notFound(`${kind} '${String(req.params.ref)}' not found in division ${d.info.code}`);
    coll.delete(prev.id);
    d.persistMaster(kind);
    ctx.webhooks.emit(d.info.code, kind, 'DELETED', prev.id);
    res.json({ data: { id: prev.id, deleted: true } });
  });

  r.post('/connections', (req, res) => {
    const b = parse(z.object({ division: z.string(), targetSystem: z.enum(TARGET_SYSTEMS).default('exact-nl') }), req.body);
    if (!ctx.state.divisions.has(b.division)) throw notFound(`Division ${b.division} does not exist`);
    const accountKey = createConnection(ctx, b.division, b.targetSystem);
    res.status(201).json({ data: { accountKey, division: b.division, targetSystem: b.targetSystem } });
  });

  r.post('/connections/revoke', (req, res) => {
    const b = parse(z.object({ accountKey: z.string().min(1) }), req.body);
    res.json({ data: { revoked: ctx.state.revokeConnection(b.accountKey) } });
  });

  r.get('/requests', (req, res) => {
    const operation = typeof req.query.operation === 'string' ? req.query.operation : undefined;
    const division = typeof req.query.division === 'string' ? req.query.division : undefined;
    res.json({ data: ctx.requests.list({ operation, division }) });
  });
  r.delete('/requests', (_req, res) => {
    ctx.requests.clear();
    res.json({ data: { cleared: true } });
  });

  r.get('/faults', (_req, res) => {
    res.json({ data: ctx.faults.list() });
  });
  r.post('/faults', (req, res) => {
    try {
      res.status(201).json({ data: ctx.faults.add(req.body as never) });
    } catch (err) {
      if (err instanceof z.ZodError) throw badRequest('Invalid fault', err.issues.map((i) => ({ code: 'INVALID', message: i.message, field: i.path.join('.') })));
      throw badRequest((err as Error).message);
    }
  });
  r.delete('/faults', (_req, res) => {
    ctx.faults.clear();
    res.json({ data: { cleared: true } });
  });

  r.get('/rate-limits', (_req, res) => {
    res.json({ data: { ...ctx.state.settings.rateLimit, divisions: ctx.limiter.snapshot(ctx.clock.wall().getTime()) } });
  });
  r.put('/rate-limits', (req, res) => {
    const b = parse(z.object({ perMinute: z.number().int().positive(), perDay: z.number().int().positive() }), req.body);
    ctx.state.settings.rateLimit = b;
    ctx.limiter.config = b;
    ctx.state.persistMeta();
    res.json({ data: b });
  });
  r.post('/rate-limits/reset', (req, res) => {
    const b = parse(z.object({ division: z.string().optional() }), req.body);
    ctx.limiter.reset(b.division);
    res.json({ data: { reset: true } });
  });

  app.use('/_sandbox', r);
}

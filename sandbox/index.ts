/**
 * Maesn sandbox — public entry. A local HTTP server that speaks Maesn's unified accounting API
 * (per maesn-openapi.yaml) and behaves like Maesn with Exact Online behind it. A product feature
 * in the spirit of a payment provider's test mode, shipped as its own package
 * (`@exact-export/maesn-sandbox`): the service never imports it; tests, scripts and benchmarks
 * import only from this file.
 *
 * Choices where Maesn/Exact leave things open (documented for API consumers):
 * - Dimensions: cost centres have `categoryName: "CostCenter"`, cost units `"CostUnit"` (the names
 *   used in Maesn's own examples). Journal lines may reference a dimension by `id` or `code`;
 *   `categoryName` also accepts Kostenplaats/Kostendrager/COST_CENTER/COST_UNIT. Status is
 *   ACTIVE or INACTIVE (an Exact EndDate in the past).
 * - Blocked records: accounts → `status: "ARCHIVED"`; tax rates → excluded by `isActive=true`,
 *   listed by `isActive=false`; suppliers and tax rates carry Exact's `Blocked`/`IsBlocked` flag
 *   in `rawData` (request `rawData=true`; shaped like Exact's OData `{ d: { results: [...] } }`),
 *   because their Maesn DTOs have no status field.
 * - Journal `type`: "Cash" | "Bank" | "Sales" | "Purchase" | "General journal".
 * - Account `class` from Exact's GL type (P&L: REVENUE/EXPENSE; balance sheet: ASSET/LIABILITY/
 *   EQUITY); `type` from Maesn's account type enum (ACCOUNTS_PAYABLE = creditors,
 *   EMPLOYEES_PAYABLE = te betalen declaraties, VAT, BANK, EXPENSE, …).
 * - Tax rate `usage`: INVOICE (sales codes), BILL (purchase codes), ALL (both). VAT rule on
 *   journal entries: see journal-entries.ts (sales codes only in sales journals; purchase codes in
 *   purchase and VAT-enabled general journals; no VAT code in journals without VAT).
 * - Periods: `accountingPeriodId` is "YYYY-PP", the financial year and the period (for a calendar
 *   year that is "YYYY-MM"); the transaction date must lie in it. The financial year containing
 *   today, the one before and the next are open by default; other years are missing; the
 *   control API closes/reopens single periods. Division 345678 starts its financial year on
 *   1 July (periods.ts).
 * - passThrough: Exact's FinancialPeriods and JournalStatusList, in Exact's own shape
 *   (routes/pass-through.ts); other paths are a 404.
 * - `filesPos`: one 1-based journal line position per uploaded file (repeated multipart fields,
 *   a JSON array string or a comma-separated list).
 * - Errors: `{ meta: null, data: null, errors: { statusCode, code, message, targetSystem,
 *   validationErrors: [{ code, message, field?, line? }] }, rawData }` — see http-errors.ts.
 *   Journal-entry rejections carry Exact's OData error in `rawData`.
 * - Connect flow: `GET /auth/{target}` returns the hosted page URL; the hosted form POST
 *   redirects (302) to callbackUrl + `accountKey` + `companyId`, and + `signature` when
 *   `include_signature=true` was passed (per the spec's parameter description); see signature.ts.
 * - Journal entries in a general journal (Exact's GeneralJournalEntries) come back without an
 *   entry-level description (`description: null`): Exact has no such field there. Lines keep theirs.
 * - Rate-limit headers follow Exact: X-RateLimit-* = daily window, X-RateLimit-Minutely-* =
 *   minute window, resets in epoch milliseconds; 429 adds Retry-After (seconds).
 */
export { startSandbox, type SandboxOptions, type RunningSandbox } from './server';
export { loadSandboxConfig, sandboxEnvVars, SandboxConfigError, SANDBOX_DEV_DEFAULTS, type SandboxConfig } from './config';
export type { LoggedRequest } from './context';
export { SandboxControl, SandboxControlError, type ConnectResult, type DivisionSummary, type StoredEntry, type StoredFault } from './control-client';
export { signCallbackParams, verifyCallbackSignature, canonicalCallbackString } from './signature';
export { signWebhookBody, WEBHOOK_RESOURCES, type Subscription as SandboxWebhookSubscription } from './webhooks';
export { generateAdministration, demoAdministration, DEMO_DIVISIONS, SEED_TIMESTAMP } from './seed';
export { COST_CENTER_CATEGORY, COST_UNIT_CATEGORY } from './mapping';
export { OPERATIONS, type OperationId, type FaultSpec } from './faults';
export { TARGET_SYSTEMS, type AdministrationData, type GenerateOptions, type SandboxTargetSystem } from './types';
export type { MasterKind } from './state';
export type { MasterInput } from './master-records';

/**
 * Maesn client — the only entry point other code may import from `src/maesn`.
 *
 *   const client = MaesnClient.fromConfig(loadConfig().maesn, { logger });
 *   const link = await client.getHostedAuthLink({ callbackUrl });
 *   const conn = client.forConnection({ accountKey, companyId });
 *   for await (const page of conn.listAll('accounts', { limit: 100 })) { ... }
 *   const { data: entry } = await conn.createJournalEntry(input, { files });
 *   await client.close();
 */
export {
  MaesnClient,
  MaesnConnection,
  PAGE_LIMITS,
  type AttachmentFile,
  type CallOptions,
  type ConnectionScope,
  type HostedLinkParams,
  type JournalEntryFile,
  type ListAllParams,
  type ListParams,
  type MaesnClientOptions,
  type Page,
  type PageLimit,
  type WriteResult,
} from './client';
export { parseRateLimitHeaders, type CallGovernor, type CallOutcome, type GovernedCall, type MaesnLogger, type RateLimitInfo, type RetryOptions } from './transport';
export {
  MaesnError,
  MaesnInvalidRequestError,
  MaesnNotFoundError,
  MaesnRateLimitedError,
  MaesnResponseFormatError,
  MaesnTransientError,
  MaesnUnauthorizedError,
  classifyMaesnError,
  parseRetryAfter,
  type FieldError,
  type MaesnErrorClassification,
  type MaesnErrorKind,
} from './errors';
export {
  webhookSchema,
  type MaesnWebhook,
  accountSchema,
  companySchema,
  contactSchema,
  dimensionSchema,
  envelopeSchema,
  exactFinancialPeriodSchema,
  exactJournalStatusSchema,
  exactODataListSchema,
  journalEntryCreateInputSchema,
  journalEntrySchema,
  journalLineItemSchema,
  journalSchema,
  listResources,
  numberToDecimalString,
  taxRateSchema,
  toJournalEntryWire,
  type Account,
  type Company,
  type DebitCredit,
  type DecimalString,
  type ExactFinancialPeriod,
  type ExactJournalStatus,
  type Dimension,
  type Journal,
  type JournalEntry,
  type JournalEntryCreateInput,
  type JournalLineItem,
  type JournalLineItemInput,
  type ListItemTypes,
  type ListResource,
  type Pagination,
  type Supplier,
  type TaxRate,
} from './schemas';

/**
 * Master records as the control API takes them: one zod schema per kind (what a test may send to
 * create or change an account, journal, VAT code, cost centre, cost unit or supplier), and the
 * conversions between that input and the stored Exact-like record.
 */
import { z } from 'zod';
import { randomGuid } from './ids';
import type { MasterKind } from './state';
import type { DimensionValue, GlAccount, Journal, Supplier, VatCode } from './types';

const BALANCE_SHEET_TYPES = [10, 12, 14, 16, 20, 21, 22, 24, 25, 26, 27, 29, 30, 32, 35, 40, 50, 52, 55, 60, 90, 100];
const CREDIT_TYPES = [14, 21, 22, 25, 27, 29, 35, 50, 52, 55, 60, 100, 110, 140, 160];

const policy = z.union([z.literal(0), z.literal(1), z.literal(2)]);
const nullableStr = z.string().nullable();

export const masterSchemas = {
  accounts: z.object({
    id: z.string().optional(),
    code: z.string().min(1).max(20),
    description: z.string().min(1),
    type: z.number().int().default(121),
    balanceType: z.enum(['B', 'W']).optional(),
    balanceSide: z.enum(['D', 'C']).optional(),
    isBlocked: z.boolean().default(false),
    useCostcenter: policy.default(0),
    useCostunit: policy.default(0),
    vatCode: nullableStr.default(null),
  }),
  journals: z.object({
    id: z.string().optional(),
    code: z.string().min(1).max(10),
    description: z.string().min(1),
    type: z.union([z.literal(10), z.literal(12), z.literal(20), z.literal(22), z.literal(90)]),
    allowVat: z.boolean().default(false),
    allowVariableCurrency: z.boolean().default(false),
    currency: z.string().length(3).default('EUR'),
    glAccountId: nullableStr.default(null),
    isBlocked: z.boolean().default(false),
  }),
  taxRates: z.object({
    id: z.string().optional(),
    code: z.string().min(1).max(3),
    description: z.string().min(1),
    /** Percentage, e.g. 21 or 9. */
    percentage: z.number().min(0).max(100),
    type: z.enum(['B', 'E', 'I', 'N']).default('E'),
    transactionType: z.enum(['S', 'P', 'B']).default('B'),
    charged: z.boolean().default(false),
    glToClaim: nullableStr.default(null),
    glToPay: nullableStr.default(null),
    isBlocked: z.boolean().default(false),
  }),
  costCenters: z.object({ id: z.string().optional(), code: z.string().min(1).max(8), description: z.string().min(1), endDate: nullableStr.default(null) }),
  costUnits: z.object({ id: z.string().optional(), code: z.string().min(1).max(8), description: z.string().min(1), endDate: nullableStr.default(null) }),
  suppliers: z.object({
    id: z.string().optional(),
    code: z.string().min(1).max(18),
    name: z.string().min(1),
    isEmployee: z.boolean().default(false),
    firstName: nullableStr.default(null),
    lastName: nullableStr.default(null),
    blocked: z.boolean().default(false),
    email: nullableStr.default(null),
    phone: nullableStr.default(null),
    vatNumber: nullableStr.default(null),
    iban: nullableStr.default(null),
    bic: nullableStr.default(null),
    addressLine: nullableStr.default(null),
    postalCode: nullableStr.default(null),
    city: nullableStr.default(null),
    countryCode: z.string().length(2).default('NL'),
    purchaseVatCode: nullableStr.default(null),
  }),
} as const;

export type MasterInput<K extends MasterKind> = z.input<(typeof masterSchemas)[K]>;

export type AnyRecord = GlAccount | Journal | VatCode | DimensionValue | Supplier;

export function toRecord(kind: MasterKind, input: Record<string, unknown>, base: Partial<AnyRecord>, nowIso: string): AnyRecord {
  const common = { id: (input.id as string | undefined) ?? base.id ?? randomGuid(), createdDate: base.createdDate ?? nowIso, updatedDate: nowIso };
  if (kind === 'accounts') {
    const t = input.type as number;
    return {
      ...(input as object),
      ...common,
      balanceType: (input.balanceType as 'B' | 'W' | undefined) ?? (BALANCE_SHEET_TYPES.includes(t) ? 'B' : 'W'),
      balanceSide: (input.balanceSide as 'D' | 'C' | undefined) ?? (CREDIT_TYPES.includes(t) ? 'C' : 'D'),
    } as GlAccount;
  }
  if (kind === 'taxRates') {
    const { percentage, ...rest } = input as { percentage: number };
    return { ...rest, ...common, percentageBp: Math.round(percentage * 100) } as unknown as VatCode;
  }
  return { ...(input as object), ...common } as AnyRecord;
}

/** The editable view of a stored record (for PATCH merging). */
export function toInput(kind: MasterKind, rec: AnyRecord): Record<string, unknown> {
  const { createdDate: _c, updatedDate: _u, ...rest } = rec as AnyRecord & Record<string, unknown>;
  void _c;
  void _u;
  if (kind === 'taxRates') {
    const { percentageBp, ...r } = rest as unknown as VatCode & Record<string, unknown>;
    return { ...r, percentage: percentageBp / 100 };
  }
  return rest;
}

export function setBlocked(kind: MasterKind, rec: AnyRecord, blocked: boolean, now: Date): Record<string, unknown> {
  switch (kind) {
    case 'suppliers':
      return { blocked };
    case 'costCenters':
    case 'costUnits':
      return { endDate: blocked ? new Date(now.getTime() - 86_400_000).toISOString() : null };
    default:
      void rec;
      return { isBlocked: blocked };
  }
}

/**
 * Benchmark 1: the pure domain. `buildJournalEntry` (validation included, as the export
 * workflow runs it) and `validateReport` alone, for reports of 5, 50 and 500 expenses against
 * a lookup built with `createMasterDataLookup`. Inputs come from a seeded PRNG.
 */
import {
  buildJournalEntry,
  accountingPeriodId,
  checkEntryInvariants,
  createMasterDataLookup,
  mappingsSchema,
  validateReport,
  type ExpenseReportRef,
  type GlAccount,
  type Mappings,
  type MasterData,
  type MasterDataLookup,
  type Supplier,
} from '../src/domain';
import { fmtNum, fmtUs, measureCpu, prng, type BenchResult, type Prng } from './lib';

export const REPORT_SIZES = [5, 50, 500] as const;

const CATEGORIES = ['lodging', 'travel', 'meals', 'office', 'parking', 'training', 'software', 'telecom'];
const EMPLOYEES = 20;
const SUPPLIERS = 2_000;
const COST_CENTERS = 30;
const COST_UNITS = 12;

export interface DomainFixture {
  masterData: MasterData;
  lookup: MasterDataLookup;
  mappings: Mappings;
}

/** A mid-sized Exact administration: 2 000 suppliers (with VAT numbers), dimensions, Dutch VAT codes. */
export function domainFixture(seed = 1): DomainFixture {
  const r = prng(seed);
  const glAccounts: GlAccount[] = [];
  for (let i = 0; i < 150; i++) {
    const code = String(4000 + i * 5);
    glAccounts.push({ id: `gl-${code}`, code, name: `Kosten ${code}`, kind: 'profit_and_loss', active: true, blocked: false });
  }
  glAccounts.push({ id: 'gl-1610', code: '1610', name: 'Te betalen declaraties', kind: 'balance_sheet', active: true, blocked: false });
  const suppliers: Supplier[] = [];
  for (let i = 0; i < SUPPLIERS; i++) {
    const code = String(10_000 + i);
    suppliers.push({
      id: `sup-${code}`,
      // Exact pads supplier codes to 18 characters; the lookup must trim them.
      code: code.padStart(18, ' '),
      name: i < EMPLOYEES ? `Medewerker ${i}` : `Leverancier ${i} B.V.`,
      ...(i % 3 === 0 ? { vatNumber: `NL${String(100_000_000 + i)}B01` } : {}),
      active: r.chance(0.98) || i < EMPLOYEES,
    });
  }
  const masterData: MasterData = {
    glAccounts,
    journals: [
      { id: 'j-90', code: '90', type: 'General', active: true },
      { id: 'j-60', code: '60', type: 'Purchase', active: true },
    ],
    vatCodes: [
      { id: 'v-2', code: '2', percentage: '0.21', description: 'BTW hoog', type: 'EXCLUSIVE', usage: 'ALL', active: true },
      { id: 'v-1', code: '1', percentage: '0.09', description: 'BTW laag', type: 'EXCLUSIVE', usage: 'BILL', active: true },
      { id: 'v-0', code: '0', percentage: '0', description: 'BTW 0%', type: 'ZERO_TAX', usage: 'ALL', active: true },
      { id: 'v-5', code: '5', percentage: '0', description: 'Vrijgesteld', type: 'NO_TAX', usage: 'ALL', active: true },
      { id: 'v-6', code: '6', percentage: '19', description: 'DE MwSt', type: 'EXCLUSIVE', usage: 'BILL', active: true },
    ],
    costCenters: Array.from({ length: COST_CENTERS }, (_, i) => ({ id: `cc-${i}`, code: String(100 + i), name: `Afdeling ${i}`, active: true })),
    costUnits: Array.from({ length: COST_UNITS }, (_, i) => ({ id: `cu-${i}`, code: `P${i}`, name: `Project ${i}`, active: true })),
    // Calendar financial year 2025: twelve monthly periods.
    financialPeriods: Array.from({ length: 12 }, (_, i) => {
      const id = accountingPeriodId(2025, i + 1);
      const end = new Date(Date.UTC(2025, i + 1, 0)).toISOString().slice(0, 10);
      return { id, code: id, name: id, active: true, year: 2025, period: i + 1, startDate: `${id}-01`, endDate: end, closedJournals: [] };
    }),
    suppliers,
  };
  const mappings = mappingsSchema.parse({
    journalCode: '90',
    creditAccount: '1610',
    categories: Object.fromEntries([...CATEGORIES, 'mileage'].map((c, i) => [c, { glAccount: String(4000 + i * 5) }])),
    vatRates: { '21': '2', '9': '1', '0': '0', exempt: '5', '19': '6' },
    costCenters: { SALES: '100', OPS: '101', IT: '102' },
    costUnits: {},
    employees: Object.fromEntries(Array.from({ length: EMPLOYEES }, (_, i) => [`emp-${i}`, { supplier: String(10_000 + i) }])),
    merchants: { 'Shell Nederland': String(10_000 + EMPLOYEES + 1), NL999999999B01: String(10_000 + EMPLOYEES + 2) },
  });
  return { masterData, lookup: createMasterDataLookup(masterData), mappings };
}

const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

function merchant(r: Prng): { name: string; vatNumber?: string } | undefined {
  const roll = r.next();
  if (roll < 0.15) return undefined;
  if (roll < 0.4) {
    // Matched by VAT number (suppliers with i % 3 === 0 carry one), written loosely.
    const i = 3 * r.int(7, 600);
    return { name: `Winkel ${i}`, vatNumber: `nl ${String(100_000_000 + i).replace(/(\d{3})(?=\d)/g, '$1.')}b01` };
  }
  if (roll < 0.65) return { name: `LEVERANCIER ${r.int(EMPLOYEES + 1, SUPPLIERS - 1)} BV` }; // by normalized name
  if (roll < 0.7) return { name: 'Shell Nederland' }; // override by name
  return { name: `Onbekend ${r.int(1, 1e6)}` }; // no match
}

/** A report of `n` expenses: ~75 % receipts (some in USD/GBP/CHF, four VAT rates), ~25 % mileage. */
export function makeReport(n: number, seed: number): ExpenseReportRef {
  const r = prng(seed);
  const expenses: ExpenseReportRef['expenses'] = [];
  for (let i = 0; i < n; i++) {
    const id = `e${i + 1}`;
    const date = `2025-06-${String(1 + (i % 28)).padStart(2, '0')}`;
    const dims = {
      ...(r.chance(0.5) ? { costCenter: r.pick(['SALES', 'OPS', 'IT', '110', '120']) } : {}),
      ...(r.chance(0.2) ? { costUnit: `P${r.int(0, COST_UNITS - 1)}` } : {}),
    };
    if (r.chance(0.25)) {
      expenses.push({ type: 'mileage', id, date, description: `Rit klant ${i}`, category: 'mileage', distanceKm: `${r.int(3, 400)}.${r.int(0, 9)}`, ratePerKm: '0.23', ...dims });
      continue;
    }
    const vatRate = r.pick(['21', '21', '21', '9', '0', 'exempt', '19']);
    const foreign = r.chance(0.2);
    const currency = foreign ? r.pick(['USD', 'GBP', 'CHF']) : 'EUR';
    const gross = r.int(150, 250_000);
    const pct = vatRate === 'exempt' ? 0 : Number(vatRate);
    const vat = Math.round((gross * pct) / (100 + pct)) + (r.chance(0.1) ? r.int(2, 50) : 0); // some off → recomputed
    const m = merchant(r);
    expenses.push({
      type: 'receipt',
      id,
      date,
      description: r.chance(0.1) ? '' : `Uitgave ${i} ${r.pick(CATEGORIES)} met een vrij lange omschrijving die ingekort wordt`,
      category: r.pick(CATEGORIES),
      amount: money(gross),
      currency,
      ...(foreign ? { exchangeRate: `0.${r.int(800_000, 999_999)}${r.int(10, 99)}` } : {}),
      vatRate,
      ...(r.chance(0.7) ? { vatAmount: money(Math.min(vat, gross)) } : {}),
      ...dims,
      ...(m ? { merchant: m } : {}),
      receipts: [{ receiptId: `${id}#1`, fileName: `${id}.pdf`, contentType: 'application/pdf', size: r.int(20_000, 400_000) }],
    });
  }
  return {
    reportId: `R-${n}-${seed}`,
    employee: { id: `emp-${seed % EMPLOYEES}`, name: `Medewerker ${seed % EMPLOYEES}`, email: 'medewerker@example.com' },
    approvedAt: '2025-06-30T16:45:00+02:00',
    currency: 'EUR',
    description: `Declaratie juni (${n} posten)`,
    expenses,
  };
}

export function runDomainBench(opts: { budgetMs: number }): BenchResult[] {
  const fx = domainFixture();
  const results: BenchResult[] = [];
  for (const n of REPORT_SIZES) {
    const report = makeReport(n, 7 + n);
    // The inputs must be valid, or we would be timing the error path.
    const v = validateReport(report, fx.mappings, fx.lookup);
    if (!v.ok) throw new Error(`bench fixture for ${n} expenses does not validate: ${JSON.stringify(v.missing.slice(0, 3))}`);
    const entry = buildJournalEntry(report, fx.mappings, fx.lookup);
    const broken = checkEntryInvariants(entry);
    if (broken.length) throw new Error(`bench entry breaks invariants: ${broken.join('; ')}`);
    const mix = {
      receipts: report.expenses.filter((e) => e.type === 'receipt').length,
      mileage: report.expenses.filter((e) => e.type === 'mileage').length,
      foreignCurrency: report.expenses.filter((e) => e.type === 'receipt' && e.currency !== 'EUR').length,
      vatRates: [...new Set(report.expenses.map((e) => (e.type === 'receipt' ? e.vatRate : 'mileage')))].sort(),
      linesWithSupplier: entry.lines.filter((l) => l.side === 'DEBIT' && l.supplier).length,
    };

    const build = measureCpu(() => buildJournalEntry(report, fx.mappings, fx.lookup), { budgetMs: opts.budgetMs });
    results.push({
      group: 'domain',
      name: `buildJournalEntry, ${n} expenses`,
      summary: {
        median: fmtUs(build.perOpUs.median),
        p95: fmtUs(build.perOpUs.p95),
        throughput: `${fmtNum(build.opsPerSec)} reports/s`,
        note: `${fmtUs(build.perOpUs.median / n)} per expense`,
      },
      metrics: { expenses: n, mix, ...build, usPerExpenseMedian: build.perOpUs.median / n, expensesPerSec: build.opsPerSec * n },
    });

    const validate = measureCpu(() => validateReport(report, fx.mappings, fx.lookup), { budgetMs: opts.budgetMs / 2 });
    results.push({
      group: 'domain',
      name: `validateReport, ${n} expenses`,
      summary: {
        median: fmtUs(validate.perOpUs.median),
        p95: fmtUs(validate.perOpUs.p95),
        throughput: `${fmtNum(validate.opsPerSec)} reports/s`,
        note: `${fmtUs(validate.perOpUs.median / n)} per expense`,
      },
      metrics: { expenses: n, ...validate, usPerExpenseMedian: validate.perOpUs.median / n, expensesPerSec: validate.opsPerSec * n },
    });
  }

  // Building the lookup is paid once per export activity (after loading the referenced codes).
  const lookup = measureCpu(() => createMasterDataLookup(fx.masterData), { budgetMs: opts.budgetMs / 2 });
  results.push({
    group: 'domain',
    name: `createMasterDataLookup, ${SUPPLIERS} suppliers`,
    summary: { median: fmtUs(lookup.perOpUs.median), p95: fmtUs(lookup.perOpUs.p95), throughput: `${fmtNum(lookup.opsPerSec)} lookups/s` },
    metrics: { suppliers: SUPPLIERS, ...lookup },
  });
  return results;
}

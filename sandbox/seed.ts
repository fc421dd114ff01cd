/**
 * Deterministic seed data: a Dutch demo administration in the style of Exact Online's NL
 * templates (four-digit ledger codes grouped like the Dutch reference scheme, Dutch VAT codes,
 * memorial/purchase/bank journals, cost centres, cost units, suppliers and employees as
 * creditors), plus `generateAdministration` for scale tests. Same input → same ids and content.
 */
import { stableGuid } from './ids';
import type {
  AdministrationData,
  DimensionPolicy,
  DimensionValue,
  ExactGlType,
  ExactJournalType,
  GenerateOptions,
  GlAccount,
  Journal,
  Supplier,
  VatCode,
} from './types';

/** Timestamp stamped on every seeded record (fixed, so the seed is deterministic). */
export const SEED_TIMESTAMP = '2024-01-01T08:00:00.000Z';

export const DEMO_DIVISIONS: { code: string; name: string; variant: 'main' | 'second'; fiscalYearStartMonth?: number }[] = [
  { code: '123456', name: 'Demo Advies B.V.', variant: 'main' },
  { code: '234567', name: 'Demo Holding B.V.', variant: 'second' },
  // A financial year from 1 July to 30 June: periods are not calendar months.
  { code: '345678', name: 'Demo Onderwijs B.V.', variant: 'main', fiscalYearStartMonth: 7 },
];

type AccountRow = [code: string, description: string, type: ExactGlType, opts?: { blocked?: boolean; cc?: DimensionPolicy; cu?: DimensionPolicy; vat?: string; side?: 'D' | 'C' }];

const BALANCE_TYPES = new Set<ExactGlType>([10, 12, 14, 20, 22, 24, 25, 26, 27, 29, 30, 35, 40, 50, 52, 55, 90]);
const CREDIT_SIDE = new Set<ExactGlType>([14, 22, 25, 27, 29, 35, 50, 52, 55, 110, 160]);

const ACCOUNTS: AccountRow[] = [
  // Vaste activa en eigen vermogen (balans)
  ['0100', 'Bedrijfspanden', 30],
  ['0200', 'Inventaris', 30],
  ['0210', 'Afschrijving inventaris', 35],
  ['0300', 'Vervoermiddelen', 30],
  ['0310', 'Afschrijving vervoermiddelen', 35],
  ['0400', 'Computerapparatuur', 30],
  ['0500', 'Geplaatst aandelenkapitaal', 50],
  ['0550', 'Overige reserves', 52],
  ['0900', 'Lening u/g bank', 55],
  // Liquide middelen, vorderingen en kortlopende schulden (balans)
  ['1000', 'Kas', 10],
  ['1100', 'Bank ING zakelijk', 12],
  ['1110', 'Bank Rabobank spaarrekening', 12],
  ['1200', 'Zakelijke creditcard', 14],
  ['1300', 'Debiteuren', 20],
  ['1400', 'Te vorderen BTW', 24],
  ['1410', 'Te vorderen BTW verlegd', 24],
  ['1500', 'Af te dragen BTW hoog', 24, { side: 'C' }],
  ['1510', 'Af te dragen BTW laag', 24, { side: 'C' }],
  ['1520', 'Af te dragen BTW verlegd', 24, { side: 'C' }],
  ['1530', 'Af te dragen loonheffing', 29],
  ['1600', 'Crediteuren', 22],
  ['1610', 'Te betalen declaraties', 25],
  ['1620', 'Te betalen nettolonen', 25],
  ['1700', 'Vooruitbetaalde kosten', 26],
  ['1710', 'Nog te betalen kosten', 27],
  ['2000', 'Vraagposten', 90],
  ['2100', 'Kruisposten', 90],
  ['3000', 'Voorraad handelsgoederen', 40],
  // Personeelskosten (W)
  ['4000', 'Brutolonen en salarissen', 125],
  ['4010', 'Sociale lasten', 126],
  ['4020', 'Pensioenpremies', 126],
  ['4030', 'Opleidingskosten personeel', 126],
  ['4040', 'Werkkostenregeling vergoedingen', 126],
  // Huisvesting
  ['4100', 'Huur bedrijfsruimte', 121],
  ['4110', 'Gas, water en elektra', 121],
  ['4120', 'Schoonmaakkosten', 121],
  // Vervoer
  ['4200', 'Brandstof auto\'s', 121, { vat: '5' }],
  ['4210', 'Onderhoud en reparatie auto\'s', 121],
  ['4220', 'Leasekosten auto\'s', 121],
  ['4230', 'Parkeerkosten', 121, { vat: '5' }],
  // Kantoor
  ['4300', 'Kantoorbenodigdheden', 121, { vat: '5' }],
  ['4310', 'Drukwerk en porti', 121],
  ['4320', 'Telefoon en internet', 121],
  ['4330', 'Software en abonnementen', 121, { vat: '5' }],
  ['4340', 'Vakliteratuur', 121, { vat: '6' }],
  ['4350', 'Kleine aanschaffingen', 121],
  // Verkoop en representatie
  ['4400', 'Reclame- en advertentiekosten', 121],
  ['4410', 'Representatiekosten', 121, { vat: '5' }],
  ['4420', 'Relatiegeschenken', 121],
  ['4430', 'Zakelijke maaltijden en consumpties', 121, { vat: '6' }],
  // Reis- en verblijfkosten
  ['4500', 'Reiskosten', 121, { vat: '6', cc: 0 }],
  ['4510', 'Reiskosten openbaar vervoer', 121, { vat: '6' }],
  ['4520', 'Kilometervergoeding', 121, { vat: '0' }],
  ['4530', 'Verblijfkosten (hotel)', 121, { vat: '6' }],
  ['4540', 'Reiskosten buitenland', 121, { vat: '8' }],
  ['4550', 'Taxi en deelvervoer', 121, { vat: '6' }],
  ['4590', 'Reiskosten oud (niet meer gebruiken)', 121, { blocked: true }],
  // Algemene kosten
  ['4600', 'Accountants- en advieskosten', 121],
  ['4610', 'Verzekeringen', 121, { vat: '8' }],
  ['4620', 'Bankkosten', 121, { vat: '8' }],
  ['4630', 'Contributies en lidmaatschappen', 121, { vat: '8' }],
  ['4700', 'Projectkosten derden', 120, { cu: 1 }],
  ['4800', 'Afschrijvingskosten inventaris', 122],
  ['4810', 'Afschrijvingskosten vervoermiddelen', 122],
  ['4900', 'Overige algemene kosten', 121],
  ['4910', 'Niet aftrekbare kosten', 130],
  // Kostprijs en omzet
  ['7000', 'Inkoopwaarde van de omzet', 111],
  ['8000', 'Omzet advies hoog tarief', 110],
  ['8010', 'Omzet laag tarief', 110],
  ['8020', 'Omzet verlegd', 110],
  ['8030', 'Omzet buiten de EU', 110],
  // Financiële baten en lasten
  ['9000', 'Rentebaten', 160],
  ['9100', 'Rentelasten en bankprovisie', 121],
  ['9200', 'Vennootschapsbelasting', 150],
];

type VatRow = [code: string, description: string, bp: number, type: VatCode['type'], tx: VatCode['transactionType'], opts?: { charged?: boolean; blocked?: boolean }];

const VAT_CODES: VatRow[] = [
  ['0', 'Geen BTW', 0, 'N', 'B'],
  ['1', 'BTW verkopen hoog 21%', 2100, 'E', 'S'],
  ['2', 'BTW verkopen laag 9%', 900, 'E', 'S'],
  ['3', 'BTW verkopen 0%', 0, 'B', 'S'],
  ['4', 'BTW verkopen verlegd', 0, 'B', 'S', { charged: true }],
  ['5', 'BTW inkopen hoog 21% exclusief', 2100, 'E', 'P'],
  ['6', 'BTW inkopen laag 9% exclusief', 900, 'E', 'P'],
  ['7', 'BTW inkopen 0%', 0, 'B', 'P'],
  ['8', 'BTW inkopen vrijgesteld', 0, 'N', 'P'],
  ['9', 'BTW inkopen verlegd 21%', 2100, 'E', 'P', { charged: true }],
  ['10', 'BTW inkopen hoog 21% inclusief', 2100, 'I', 'P'],
  ['11', 'BTW inkopen laag 9% inclusief', 900, 'I', 'P'],
  ['12', 'BTW inkopen laag 6% (vervallen)', 600, 'E', 'P', { blocked: true }],
];

type JournalRow = [code: string, description: string, type: ExactJournalType, glCode: string | null, allowVat: boolean, opts?: { blocked?: boolean }];

const JOURNALS: JournalRow[] = [
  ['10', 'Kas', 10, '1000', false],
  ['20', 'Bank ING zakelijk', 12, '1100', false],
  ['60', 'Inkoopboek', 22, '1600', true],
  ['61', 'Inkoopboek declaraties', 22, '1610', true],
  ['70', 'Verkoopboek', 20, '1300', true],
  ['90', 'Memoriaal', 90, '2000', true],
  ['95', 'Memoriaal zonder BTW', 90, '2000', false],
  ['80', 'Inkoopboek oud (geblokkeerd)', 22, '1600', true, { blocked: true }],
];

type DimRow = [code: string, description: string, endDate?: string];

const COST_CENTERS: DimRow[] = [
  ['100', 'Directie'],
  ['200', 'Verkoop'],
  ['300', 'Marketing'],
  ['400', 'Advies en consultancy'],
  ['500', 'ICT'],
  ['600', 'Personeelszaken'],
  ['700', 'Financiën'],
  ['900', 'Vestiging Zwolle (gesloten)', '2023-12-31T00:00:00.000Z'],
];

const COST_UNITS: DimRow[] = [
  ['KD01', 'Strategisch advies'],
  ['KD02', 'Implementatieprojecten'],
  ['KD03', 'Support en onderhoud'],
  ['KD04', 'Trainingen'],
  ['KD05', 'Interne projecten'],
  ['KD99', 'Vervallen dienst', '2023-06-30T00:00:00.000Z'],
];

interface SupplierRow {
  code: string;
  name: string;
  city: string;
  postalCode: string;
  address: string;
  vat?: string;
  email?: string;
  blocked?: boolean;
  employee?: { first: string; last: string };
  country?: string;
  purchaseVat?: string;
}

const SUPPLIERS: SupplierRow[] = [
  { code: '2001', name: 'Kantoorpartner Nederland B.V.', city: 'Utrecht', postalCode: '3521 AZ', address: 'Croeselaan 12', vat: 'NL812345678B01', email: 'facturen@kantoorpartner.example', purchaseVat: '5' },
  { code: '2002', name: 'Spoor & Stad Reizen B.V.', city: 'Utrecht', postalCode: '3511 CE', address: 'Stationsplein 3', vat: 'NL823456789B01', email: 'zakelijk@spoorenstad.example', purchaseVat: '6' },
  { code: '2003', name: 'Brandstof Direct B.V.', city: 'Rotterdam', postalCode: '3011 AA', address: 'Havenweg 88', vat: 'NL834567890B01', purchaseVat: '5' },
  { code: '2004', name: 'Hotel De Gouden Leeuw', city: 'Maastricht', postalCode: '6211 LE', address: 'Vrijthof 21', vat: 'NL845678901B01', purchaseVat: '6' },
  { code: '2005', name: 'Cloudsoft Ireland Ltd', city: 'Dublin', postalCode: 'D02 X285', address: 'Grand Canal Square 1', vat: 'IE9876543X', country: 'IE', purchaseVat: '9' },
  { code: '2006', name: 'Parkeergarage Centrum B.V.', city: 'Amsterdam', postalCode: '1012 AB', address: 'Damrak 70', vat: 'NL856789012B01', purchaseVat: '5' },
  { code: '2007', name: 'Telecom Noord B.V.', city: 'Groningen', postalCode: '9711 LM', address: 'Grote Markt 4', vat: 'NL867890123B01', email: 'billing@telecomnoord.example', purchaseVat: '5' },
  { code: '2008', name: 'Restaurant Het Pakhuis', city: 'Amsterdam', postalCode: '1011 AC', address: 'Prins Hendrikkade 50', vat: 'NL878901234B01', purchaseVat: '6' },
  { code: '2009', name: 'Verzekeringsmaatschappij Delta N.V.', city: 'Den Haag', postalCode: '2511 BT', address: 'Lange Voorhout 9', vat: 'NL889012345B01', purchaseVat: '8' },
  { code: '2010', name: 'Taxicentrale Amstel B.V.', city: 'Amsterdam', postalCode: '1091 GH', address: 'Wibautstraat 150', vat: 'NL890123456B01', purchaseVat: '6' },
  { code: '2011', name: 'Boekhandel Dominicus', city: 'Maastricht', postalCode: '6211 CZ', address: 'Dominicanerkerkstraat 1', vat: 'NL801234567B01', purchaseVat: '6' },
  { code: '2012', name: 'Failliete Leverancier B.V.', city: 'Eindhoven', postalCode: '5611 AB', address: 'Markt 1', vat: 'NL811111111B01', blocked: true },
  { code: '9001', name: 'Jansen, Jan', city: 'Amersfoort', postalCode: '3811 AA', address: 'Langestraat 10', email: 'jan.jansen@demo-advies.example', employee: { first: 'Jan', last: 'Jansen' } },
  { code: '9002', name: 'de Vries, Sanne', city: 'Utrecht', postalCode: '3512 AB', address: 'Oudegracht 200', email: 'sanne.devries@demo-advies.example', employee: { first: 'Sanne', last: 'de Vries' } },
  { code: '9003', name: 'Bakker, Pieter', city: 'Zeist', postalCode: '3701 AA', address: 'Slotlaan 5', email: 'pieter.bakker@demo-advies.example', employee: { first: 'Pieter', last: 'Bakker' } },
  { code: '9004', name: 'Visser, Emma', city: 'Hilversum', postalCode: '1211 AB', address: 'Kerkstraat 33', email: 'emma.visser@demo-advies.example', employee: { first: 'Emma', last: 'Visser' } },
  { code: '9005', name: 'El Amrani, Yasmin', city: 'Houten', postalCode: '3991 AA', address: 'Plein 2', email: 'yasmin.elamrani@demo-advies.example', employee: { first: 'Yasmin', last: 'El Amrani' } },
  { code: '9006', name: 'Smit, Lucas (uit dienst)', city: 'Nieuwegein', postalCode: '3431 AA', address: 'Raadstede 1', email: 'lucas.smit@demo-advies.example', employee: { first: 'Lucas', last: 'Smit' }, blocked: true },
];

function makeAccount(division: string, row: AccountRow): GlAccount {
  const [code, description, type, opts] = row;
  const balanceType = BALANCE_TYPES.has(type) ? 'B' : 'W';
  return {
    id: stableGuid(division, 'gl', code),
    code,
    description,
    balanceType,
    balanceSide: opts?.side ?? (CREDIT_SIDE.has(type) ? 'C' : 'D'),
    type,
    isBlocked: opts?.blocked ?? false,
    useCostcenter: opts?.cc ?? 0,
    useCostunit: opts?.cu ?? 0,
    vatCode: opts?.vat ?? null,
    createdDate: SEED_TIMESTAMP,
    updatedDate: SEED_TIMESTAMP,
  };
}

function makeDim(division: string, kind: string, row: DimRow): DimensionValue {
  return {
    id: stableGuid(division, kind, row[0]),
    code: row[0],
    description: row[1],
    endDate: row[2] ?? null,
    createdDate: SEED_TIMESTAMP,
    updatedDate: SEED_TIMESTAMP,
  };
}

function makeSupplier(division: string, r: SupplierRow): Supplier {
  return {
    id: stableGuid(division, 'crm', r.code),
    code: r.code,
    name: r.name,
    isEmployee: !!r.employee,
    firstName: r.employee?.first ?? null,
    lastName: r.employee?.last ?? null,
    blocked: r.blocked ?? false,
    email: r.email ?? null,
    phone: null,
    vatNumber: r.vat ?? null,
    iban: r.employee ? `NL${String(10 + (Number(r.code) % 89)).padStart(2, '0')}INGB000${r.code}${r.code.slice(-3)}` : null,
    bic: r.employee ? 'INGBNL2A' : null,
    addressLine: r.address,
    postalCode: r.postalCode,
    city: r.city,
    countryCode: r.country ?? 'NL',
    purchaseVatCode: r.purchaseVat ?? null,
    createdDate: SEED_TIMESTAMP,
    updatedDate: SEED_TIMESTAMP,
  };
}

function baseMasterData(division: string): AdministrationData {
  const accounts = ACCOUNTS.map((r) => makeAccount(division, r));
  const byCode = new Map(accounts.map((a) => [a.code, a.id]));
  const vatCodes: VatCode[] = VAT_CODES.map(([code, description, bp, type, tx, opts]) => ({
    id: stableGuid(division, 'vat', code),
    code,
    description,
    percentageBp: bp,
    type,
    transactionType: tx,
    charged: opts?.charged ?? false,
    glToClaim: tx === 'S' ? null : byCode.get(opts?.charged ? '1410' : '1400') ?? null,
    glToPay: tx === 'P' && !opts?.charged ? null : byCode.get(opts?.charged ? '1520' : bp === 900 ? '1510' : '1500') ?? null,
    isBlocked: opts?.blocked ?? false,
    // The low rate was 6 % until 2018 (as Exact keeps it: one code, dated percentages).
    ...(code === '6' || code === '2' || code === '11'
      ? { percentages: [{ startDate: null, endDate: '2018-12-31', bp: 600 }, { startDate: '2019-01-01', endDate: null, bp: 900 }] }
      : {}),
    createdDate: SEED_TIMESTAMP,
    updatedDate: SEED_TIMESTAMP,
  }));
  const journals: Journal[] = JOURNALS.map(([code, description, type, gl, allowVat, opts]) => ({
    id: stableGuid(division, 'journal', code),
    code,
    description,
    type,
    allowVat,
    allowVariableCurrency: false,
    currency: 'EUR',
    glAccountId: gl ? byCode.get(gl) ?? null : null,
    isBlocked: opts?.blocked ?? false,
    createdDate: SEED_TIMESTAMP,
    updatedDate: SEED_TIMESTAMP,
  }));
  return {
    accounts,
    journals,
    vatCodes,
    costCenters: COST_CENTERS.map((r) => makeDim(division, 'costcenter', r)),
    costUnits: COST_UNITS.map((r) => makeDim(division, 'costunit', r)),
    suppliers: [],
  };
}

/** The demo administration for a division. `second` is a smaller holding with fewer suppliers. */
export function demoAdministration(division: string, variant: 'main' | 'second' = 'main'): AdministrationData {
  const data = baseMasterData(division);
  const rows = variant === 'main' ? SUPPLIERS : SUPPLIERS.filter((s) => ['2001', '2005', '2009', '9001', '9002'].includes(s.code));
  data.suppliers = rows.map((r) => makeSupplier(division, r));
  return data;
}

// ------------------------------------------------------------------------------------------------
// Scale generator
// ------------------------------------------------------------------------------------------------

/** Small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Jan', 'Sanne', 'Pieter', 'Emma', 'Lucas', 'Julia', 'Daan', 'Sophie', 'Bram', 'Lotte', 'Thijs', 'Noor', 'Ruben', 'Fleur', 'Sem', 'Eva'];
const LAST = ['Jansen', 'de Vries', 'van den Berg', 'Bakker', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder', 'de Groot', 'Bos', 'Vos', 'Peters', 'Hendriks', 'Dekker', 'Brouwer'];
const WORDS = ['Noord', 'Zuid', 'Polder', 'Delta', 'Gracht', 'Molen', 'Duin', 'Haven', 'Kanaal', 'Tulp', 'Dijk', 'Brug', 'Veld', 'Kust', 'Linde', 'Eik'];
const TRADES = ['Techniek', 'Logistiek', 'Advies', 'Bouw', 'Installaties', 'Catering', 'Drukkerij', 'Transport', 'Software', 'Schoonmaak', 'Reizen', 'Kantoorartikelen'];
const FORMS = ['B.V.', 'V.O.F.', 'N.V.', 'Holding B.V.', ''];
const CITIES = ['Amsterdam', 'Rotterdam', 'Den Haag', 'Utrecht', 'Eindhoven', 'Groningen', 'Tilburg', 'Almere', 'Breda', 'Nijmegen', 'Arnhem', 'Haarlem', 'Zwolle', 'Leiden'];
const COST_DESCRIPTIONS = ['Diverse kosten', 'Reiskosten', 'Kantoorkosten', 'Advieskosten', 'Marketingkosten', 'Automatiseringskosten', 'Personeelskosten', 'Huisvestingskosten'];

/**
 * Builds a large administration for scale tests: the demo chart of accounts, journals and VAT
 * codes, plus `accounts` extra P&L/balance accounts, `suppliers` creditors (~5 % employees,
 * ~2 % blocked), `costCenters` and `costUnits`. Deterministic for a given `seed`.
 */
export function generateAdministration(options: GenerateOptions = {}): AdministrationData {
  const division = options.division ?? 'generated';
  const rnd = prng(options.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const data = baseMasterData(division);

  const extraAccounts = Math.max(0, (options.accounts ?? data.accounts.length) - data.accounts.length);
  const used = new Set(data.accounts.map((a) => a.code));
  let next = 100000;
  for (let i = 0; i < extraAccounts; i++) {
    while (used.has(String(next))) next++;
    const code = String(next++);
    used.add(code);
    const pl = rnd() < 0.7;
    const type: ExactGlType = pl ? 121 : pick([26, 27, 90, 30] as const);
    data.accounts.push(makeAccount(division, [code, `${pl ? pick(COST_DESCRIPTIONS) : 'Balansrekening'} ${code}`, type, { blocked: rnd() < 0.03 }]));
  }

  const ccCount = options.costCenters ?? data.costCenters.length;
  for (let i = data.costCenters.length; i < ccCount; i++) {
    data.costCenters.push(makeDim(division, 'costcenter', [`C${String(i).padStart(6, '0')}`, `Kostenplaats ${pick(WORDS)} ${i}`]));
  }
  const cuCount = options.costUnits ?? data.costUnits.length;
  for (let i = data.costUnits.length; i < cuCount; i++) {
    data.costUnits.push(makeDim(division, 'costunit', [`U${String(i).padStart(6, '0')}`, `Kostendrager ${pick(WORDS)} ${i}`]));
  }

  const n = options.suppliers ?? 100;
  const suppliers: Supplier[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const code = String(10000 + i);
    const employee = rnd() < 0.05;
    const first = pick(FIRST);
    const last = pick(LAST);
    const name = employee ? `${last}, ${first}` : `${pick(WORDS)} ${pick(TRADES)} ${pick(FORMS)}`.trim();
    suppliers[i] = {
      id: stableGuid(division, 'crm', code),
      code,
      name,
      isEmployee: employee,
      firstName: employee ? first : null,
      lastName: employee ? last : null,
      blocked: rnd() < 0.02,
      email: employee ? `medewerker${i}@example.test` : `facturen${i}@example.test`,
      phone: null,
      vatNumber: employee ? null : `NL${String(100000000 + i).slice(0, 9)}B01`,
      iban: null,
      bic: null,
      addressLine: `${pick(WORDS)}straat ${1 + (i % 200)}`,
      postalCode: `${1000 + (i % 9000)} AB`,
      city: pick(CITIES),
      countryCode: 'NL',
      purchaseVatCode: employee ? null : '5',
      createdDate: SEED_TIMESTAMP,
      updatedDate: SEED_TIMESTAMP,
    };
  }
  data.suppliers = suppliers;
  return data;
}

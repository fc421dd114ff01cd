/**
 * In-memory sandbox state with file persistence: divisions (each with its own master data,
 * periods, balances and journal entries) and connections (account keys, stored hashed).
 */
import type { Logger } from 'pino';
import { JsonFileStore } from './persistence';
import { demoAdministration, DEMO_DIVISIONS, generateAdministration, SEED_TIMESTAMP } from './seed';
import { MonotonicClock, sha256Hex } from './ids';
import type {
  AdministrationData,
  Connection,
  DimensionValue,
  DivisionInfo,
  DivisionSeed,
  GlAccount,
  Journal,
  PeriodStatus,
  StoredJournalEntry,
  Supplier,
  VatCode,
} from './types';

interface Coded {
  id: string;
  code: string;
  updatedDate: string;
}

const CODE_ORDER = new Intl.Collator('en', { numeric: true });

/** Records keyed by id with a code index and a lazily sorted view. */
export class Collection<T extends Coded> {
  private readonly byId = new Map<string, T>();
  private readonly byCode = new Map<string, string>();
  private sorted: T[] | null = null;

  constructor(items: T[] = []) {
    for (const it of items) this.put(it);
  }

  put(item: T): void {
    const prev = this.byId.get(item.id);
    if (prev && prev.code !== item.code) this.byCode.delete(prev.code);
    this.byId.set(item.id, item);
    this.byCode.set(item.code, item.id);
    if (prev && prev.code === item.code && this.sorted) {
      // Same position in code order: replace in place instead of re-sorting large collections.
      const i = this.sorted.indexOf(prev);
      if (i >= 0) this.sorted[i] = item;
      else this.sorted = null;
    } else this.sorted = null;
  }

  delete(id: string): boolean {
    const prev = this.byId.get(id);
    if (!prev) return false;
    this.byId.delete(id);
    this.byCode.delete(prev.code);
    this.sorted = null;
    return true;
  }

  byIdOrCode(ref: string): T | undefined {
    return this.byId.get(ref) ?? this.getByCode(ref);
  }

  getById(id: string): T | undefined {
    return this.byId.get(id);
  }

  getByCode(code: string): T | undefined {
    const id = this.byCode.get(code) ?? this.byCode.get(code.trim());
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** All records ordered by code (numeric-aware). */
  list(): T[] {
    if (!this.sorted) {
      this.sorted = [...this.byId.values()].sort((a, b) => CODE_ORDER.compare(a.code, b.code));
    }
    return this.sorted;
  }

  get size(): number {
    return this.byId.size;
  }

  toJSON(): T[] {
    return this.list();
  }
}

/** The journal-entry log of a division (JSON lines), and the single file sandboxes before it wrote. */
const ENTRY_LOG = 'journalEntries.jsonl';
const LEGACY_ENTRY_FILE = 'journalEntries.json';

export const MASTER_KINDS = ['accounts', 'journals', 'taxRates', 'costCenters', 'costUnits', 'suppliers'] as const;
export type MasterKind = (typeof MASTER_KINDS)[number];

interface Ledger {
  periods: Record<string, PeriodStatus>;
  /** Posted balance per GL account id, in cents (debit positive). */
  balances: Record<string, number>;
  /** Last entry sequence per `${journalCode}:${year}`. */
  sequences: Record<string, number>;
}

export class DivisionState {
  accounts!: Collection<GlAccount>;
  journals!: Collection<Journal>;
  taxRates!: Collection<VatCode>;
  costCenters!: Collection<DimensionValue>;
  costUnits!: Collection<DimensionValue>;
  suppliers!: Collection<Supplier>;
  ledger!: Ledger;
  entries: StoredJournalEntry[] = [];
  entriesById = new Map<string, StoredJournalEntry>();

  constructor(
    public info: DivisionInfo,
    private readonly store: JsonFileStore,
  ) {}

  get dir(): string {
    return `divisions/${this.info.code}`;
  }

  load(data: AdministrationData, ledger?: Ledger, entries: StoredJournalEntry[] = []): void {
    this.accounts = new Collection(data.accounts);
    this.journals = new Collection(data.journals);
    this.taxRates = new Collection(data.vatCodes);
    this.costCenters = new Collection(data.costCenters);
    this.costUnits = new Collection(data.costUnits);
    this.suppliers = new Collection(data.suppliers);
    this.ledger = ledger ?? { periods: {}, balances: {}, sequences: {} };
    this.entries = entries;
    this.entriesById = new Map(entries.map((e) => [e.id, e]));
  }

  collection(kind: MasterKind): Collection<GlAccount | Journal | VatCode | DimensionValue | Supplier> {
    return this[kind] as Collection<GlAccount | Journal | VatCode | DimensionValue | Supplier>;
  }

  persistMaster(kind: MasterKind): void {
    this.store.markDirty(`${this.dir}/${kind}.json`, () => this[kind].toJSON());
  }

  persistLedger(): void {
    this.store.markDirty(`${this.dir}/ledger.json`, () => this.ledger);
  }

  /** Journal entries are an append-only log: a new or changed entry is one more line (the last line of an id wins). */
  persistEntry(e: StoredJournalEntry): void {
    this.store.append(`${this.dir}/${ENTRY_LOG}`, e);
  }

  persistAll(): void {
    for (const k of MASTER_KINDS) this.persistMaster(k);
    this.persistLedger();
    this.compactEntries();
  }

  addEntry(e: StoredJournalEntry): void {
    this.entries.push(e);
    this.entriesById.set(e.id, e);
    this.persistEntry(e);
  }

  /** Writes the whole log again (and drops the file older sandboxes wrote). */
  compactEntries(): void {
    this.store.rewriteLog(`${this.dir}/${ENTRY_LOG}`, () => this.entries);
    this.store.remove(`${this.dir}/${LEGACY_ENTRY_FILE}`);
  }

  /** The stored entries: the log (last line of an id wins, in order of first appearance), or the file older sandboxes wrote. */
  static readEntries(store: JsonFileStore, dir: string): StoredJournalEntry[] {
    const lines = store.readLines<StoredJournalEntry>(`${dir}/${ENTRY_LOG}`);
    if (!lines) return store.read<StoredJournalEntry[]>(`${dir}/${LEGACY_ENTRY_FILE}`) ?? [];
    const byId = new Map<string, StoredJournalEntry>();
    for (const e of lines) byId.set(e.id, e);
    return [...byId.values()];
  }
}

export interface SandboxSettings {
  rateLimit: { perMinute: number; perDay: number };
}

interface Meta {
  version: 1;
  divisions: DivisionInfo[];
  settings?: Partial<SandboxSettings>;
}

export function seedData(seed: DivisionSeed, division: string): AdministrationData {
  if (seed.kind === 'demo') return demoAdministration(division, seed.variant);
  if (seed.kind === 'generated') return generateAdministration({ ...seed.options, division });
  return { accounts: [], journals: [], vatCodes: [], costCenters: [], costUnits: [], suppliers: [] };
}

export class SandboxState {
  readonly divisions = new Map<string, DivisionState>();
  readonly connections = new Map<string, Connection>();
  settings: SandboxSettings;
  readonly store: JsonFileStore;

  constructor(
    dataDir: string,
    logger: Logger,
    readonly clock: MonotonicClock,
    defaults: SandboxSettings,
    opts: { seed: boolean; rateLimitOverride: boolean },
  ) {
    this.store = new JsonFileStore(dataDir, logger);
    const meta = this.store.read<Meta>('meta.json');
    this.settings = { rateLimit: { ...defaults.rateLimit } };
    if (meta) {
      if (meta.settings?.rateLimit && !opts.rateLimitOverride) this.settings.rateLimit = { ...meta.settings.rateLimit };
      for (const info of meta.divisions) {
        const d = new DivisionState(info, this.store);
        const rd = <T>(name: string): T | undefined => this.store.read<T>(`${d.dir}/${name}.json`);
        const seeded = seedData(info.seed, info.code);
        d.load(
          {
            accounts: rd<GlAccount[]>('accounts') ?? seeded.accounts,
            journals: rd<Journal[]>('journals') ?? seeded.journals,
            vatCodes: rd<VatCode[]>('taxRates') ?? seeded.vatCodes,
            costCenters: rd<DimensionValue[]>('costCenters') ?? seeded.costCenters,
            costUnits: rd<DimensionValue[]>('costUnits') ?? seeded.costUnits,
            suppliers: rd<Supplier[]>('suppliers') ?? seeded.suppliers,
          },
          rd<Ledger>('ledger'),
          DivisionState.readEntries(this.store, d.dir),
        );
        this.divisions.set(info.code, d);
        // State of an older sandbox: its entries move into the log once.
        if (!this.store.exists(`${d.dir}/${ENTRY_LOG}`) && this.store.exists(`${d.dir}/${LEGACY_ENTRY_FILE}`)) d.compactEntries();
      }
      for (const c of this.store.read<Connection[]>('connections.json') ?? []) this.connections.set(c.keyHash, c);
    } else {
      if (opts.seed) {
        for (const dd of DEMO_DIVISIONS) {
          this.createDivision({ code: dd.code, name: dd.name, seed: { kind: 'demo', variant: dd.variant }, createdDate: SEED_TIMESTAMP, ...(dd.fiscalYearStartMonth ? { fiscalYearStartMonth: dd.fiscalYearStartMonth } : {}) });
        }
      }
      this.persistMeta();
      this.persistConnections();
    }
  }

  persistMeta(): void {
    this.store.markDirty('meta.json', (): Meta => ({
      version: 1,
      divisions: [...this.divisions.values()].map((d) => d.info),
      settings: this.settings,
    }));
  }

  persistConnections(): void {
    this.store.markDirty('connections.json', () => [...this.connections.values()]);
  }

  createDivision(info: DivisionInfo): DivisionState {
    const d = new DivisionState(info, this.store);
    d.load(seedData(info.seed, info.code));
    this.divisions.set(info.code, d);
    d.persistAll();
    this.persistMeta();
    return d;
  }

  resetDivision(code: string): DivisionState | undefined {
    const d = this.divisions.get(code);
    if (!d) return undefined;
    d.load(seedData(d.info.seed, code));
    d.persistAll();
    return d;
  }

  addConnection(accountKey: string, c: Omit<Connection, 'keyHash'>): Connection {
    const conn: Connection = { keyHash: sha256Hex(accountKey), ...c };
    this.connections.set(conn.keyHash, conn);
    this.persistConnections();
    return conn;
  }

  findConnection(accountKey: string): Connection | undefined {
    return this.connections.get(sha256Hex(accountKey));
  }

  revokeConnection(accountKey: string): boolean {
    const c = this.findConnection(accountKey);
    if (!c || c.revokedDate) return false;
    c.revokedDate = this.clock.iso();
    this.persistConnections();
    return true;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

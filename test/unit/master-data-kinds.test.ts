/**
 * The registry of master-data kinds: every list of kinds derives from it, so these tests check
 * the registry itself (resources, collections, mapping paths) and each kind's record conversion.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MASTER_DATA_KINDS,
  kindDefinition,
  kindOfMappingPath,
  kindsOfResource,
  mappedCodesByKind,
  masterDataKinds,
  syncResources,
  toMasterData,
  validateMappings,
  createMasterDataLookup,
  type Mappings,
} from '../../src/domain';
import { listResources } from '../../src/maesn';

const mappings: Mappings = {
  journalCode: '90',
  creditAccount: '1600',
  categories: { travel: { glAccount: '4500', vatTreatment: 'deductible' }, meals: { glAccount: '4510', vatTreatment: 'deductible' } },
  vatRates: { '21': '2', '9': '1', exempt: '0' },
  costCenters: { SALES: '100' },
  costUnits: { P1: 'U1' },
  employees: { e1: { supplier: '  900001' } },
  merchants: { 'NL853642B01': '900002' },
  reverseChargeVatCodes: {},
};

test('every kind is read from a Maesn list resource or through passThrough, each resource once', () => {
  for (const r of syncResources) {
    const passThrough = kindsOfResource(r).some((k) => kindDefinition(k).passThrough);
    if (passThrough) assert.ok(kindsOfResource(r).every((k) => (kindDefinition(k).passThrough ?? []).length > 0), `${r} mixes passThrough and list kinds`);
    else assert.ok(r in listResources, `${r} is not a Maesn list resource`);
  }
  assert.equal(new Set(syncResources).size, syncResources.length);
  assert.deepEqual(syncResources.flatMap((r) => kindsOfResource(r)).sort(), [...masterDataKinds].sort());
});

test('collections and labels are unique per kind', () => {
  const cols = masterDataKinds.map((k) => MASTER_DATA_KINDS[k].collection);
  const labels = masterDataKinds.map((k) => MASTER_DATA_KINDS[k].label);
  assert.equal(new Set(cols).size, cols.length);
  assert.equal(new Set(labels).size, labels.length);
});

test('every mapping path an issue can have belongs to a kind', () => {
  // Nothing is in the master data, so every reference is an issue.
  const issues = validateMappings(mappings, createMasterDataLookup({}));
  assert.ok(issues.length >= 9);
  const kinds = new Set(issues.map((i) => kindOfMappingPath(i.path)));
  assert.ok(!kinds.has(null), `unattributed paths: ${issues.filter((i) => !kindOfMappingPath(i.path)).map((i) => i.path)}`);
  assert.equal(kindOfMappingPath('categories.travel.glAccount'), 'gl-accounts');
  assert.equal(kindOfMappingPath('creditAccount'), 'gl-accounts');
  assert.equal(kindOfMappingPath('vatRates.21'), 'vat-codes');
  assert.equal(kindOfMappingPath('employees.e1.supplier'), 'suppliers');
  assert.equal(kindOfMappingPath('costUnits.P1'), 'cost-units');
  assert.equal(kindOfMappingPath('journalCodeX'), null);
});

test('mapped codes per kind: trimmed, unique, with extra codes', () => {
  const codes = mappedCodesByKind(mappings, { 'gl-accounts': ['4500', '4600'] });
  assert.deepEqual(codes['gl-accounts'], ['1600', '4500', '4510', '4600']);
  assert.deepEqual(codes.journals, ['90']);
  assert.deepEqual(codes['vat-codes'].sort(), ['0', '1', '2']);
  assert.deepEqual(codes.suppliers, ['900001', '900002']);
  assert.deepEqual(codes['cost-centers'], ['100']);
  assert.deepEqual(codes['cost-units'], ['U1']);
});

test('GL account conversion: Exact code and blocked flag from rawData, kind from class/type', () => {
  const toRecord = kindDefinition('gl-accounts').toRecord;
  assert.equal(toRecord({ id: null, code: '4500' }, undefined), null);
  const r = toRecord({ id: 'a1', number: '4500', name: 'Reiskosten', class: 'EXPENSE', status: 'ACTIVE' }, { Code: ' 4500 ', IsBlocked: true });
  assert.deepEqual(
    { id: r?.id, code: r?.code, kind: r?.kind, blocked: r?.blocked, active: r?.active },
    { id: 'a1', code: '4500', kind: 'profit_and_loss', blocked: true, active: true },
  );
  assert.equal(toRecord({ id: 'a2', code: '1600', type: 'ACCOUNTS_PAYABLE', status: 'ARCHIVED' }, undefined)?.blocked, true);
});

test('VAT code and journal conversions read the blocked flag from rawData', () => {
  const vat = kindDefinition('vat-codes').toRecord({ id: 'v', code: '2', description: 'BTW hoog', percentage: '21', type: 'EXCLUSIVE', usage: 'BILL' }, { IsBlocked: true });
  assert.deepEqual([vat?.active, vat?.blocked, vat?.percentage, vat?.name], [false, true, '21', 'BTW hoog']);
  const j = kindDefinition('journals').toRecord({ id: 'j', code: '90', description: 'Memoriaal', type: 'General' }, undefined);
  assert.deepEqual([j?.active, j?.blocked, j?.name], [true, false, 'Memoriaal']);
});

test('supplier conversion: code from number or account number, normalised name and VAT number', () => {
  const s = kindDefinition('suppliers').toRecord({ id: 's', accountNumber: 900001, companyName: 'Albert Heijn B.V.', vatId: 'nl 8536.42.b01' }, { Blocked: false });
  assert.deepEqual([s?.code, s?.nameNorm, s?.vatNumberNorm, s?.active], ['900001', 'albertheijnbv', 'NL853642B01', true]);
  const [domain] = toMasterData({ suppliers: [{ ...s!, vatNumber: null }] }).suppliers ?? [];
  assert.equal(domain.vatNumber, undefined);
});

test('a dimension becomes a cost centre or a cost unit by its category, others are skipped', () => {
  const item = (categoryName: string) => ({ id: 'd', name: 'Verkoop', categoryName, status: 'ACTIVE' });
  assert.equal(kindDefinition('cost-centers').toRecord(item('Cost Center'), { Code: '100' })?.code, '100');
  assert.equal(kindDefinition('cost-units').toRecord(item('Cost Center'), { Code: '100' }), null);
  assert.equal(kindDefinition('cost-units').toRecord(item('kostendrager'), { Code: 'U1' })?.code, 'U1');
  assert.equal(kindDefinition('cost-centers').toRecord(item('Project'), { Code: 'P' }), null);
  assert.equal(kindDefinition('cost-centers').toRecord({ ...item('CostCenter'), status: 'INACTIVE' }, { Code: '1' })?.active, false);
});

/**
 * The admin page's browser modules that need no browser: Dutch and English texts (the same keys,
 * every key the page uses, a label for every registry kind and status), dates and amounts in
 * each locale (exact strings), the mapping editor's model; and the shell the API serves.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { exportStatuses, masterDataKinds } from '../../src/domain';
import { ADMIN_ASSETS_DIR, loadAdminPage } from '../../src/api/admin/page';
import { connectionStates } from '../../src/store';

// The modules are plain browser JavaScript (ES modules): imported by path, untyped.
const load = (file: string): Promise<any> => import(path.join(ADMIN_ASSETS_DIR, file));

describe('texts', () => {
  test('Dutch and English have the same keys, and plural forms where the other has them', async () => {
    const { MESSAGES } = await load('i18n.mjs');
    assert.deepEqual(Object.keys(MESSAGES.nl).sort(), Object.keys(MESSAGES.en).sort());
    for (const k of Object.keys(MESSAGES.en)) assert.equal(typeof MESSAGES.nl[k], typeof MESSAGES.en[k], k);
  });

  test('every key the modules use exists; every master-data kind, export status and connection state has a label', async () => {
    const { MESSAGES } = await load('i18n.mjs');
    const keys = new Set(Object.keys(MESSAGES.en));
    const sources = fs.readdirSync(ADMIN_ASSETS_DIR).filter((f) => f.endsWith('.mjs')).map((f) => fs.readFileSync(path.join(ADMIN_ASSETS_DIR, f), 'utf8')).join('\n');
    const used = [...sources.matchAll(/\bt\('([a-z][\w.-]+)'/g)].map((m) => m[1]);
    assert.ok(used.length > 100, `found ${used.length} keys`);
    assert.deepEqual(used.filter((k) => !keys.has(k)), []);
    for (const k of masterDataKinds) assert.ok(keys.has(`kind.${k}`), `kind.${k}`);
    for (const s of exportStatuses) assert.ok(keys.has(`status.${s}`) && keys.has(`statusHelp.${s}`), `status.${s}`);
    for (const s of connectionStates) assert.ok(keys.has(`state.${s}`) && keys.has(`stateHelp.${s}`), `state.${s}`);
    for (const section of ['categories', 'vatRates', 'costCenters', 'costUnits', 'employees', 'merchants']) {
      for (const part of ['title', 'help', 'keyLabel', 'keyPlaceholder', 'codeHead', 'codeLabel', 'add']) assert.ok(keys.has(`mappings.${section}.${part}`), `mappings.${section}.${part}`);
    }
  });
});

describe('language and formats', () => {
  test('the language: a stored choice, else the browser’s, else Dutch', async () => {
    const { pickLanguage, localeFor } = await load('i18n.mjs');
    assert.equal(pickLanguage('en', ['nl-NL']), 'en');
    assert.equal(pickLanguage(null, ['de-DE', 'en-US', 'nl']), 'en');
    assert.equal(pickLanguage(null, ['fr-FR']), 'nl');
    assert.equal(pickLanguage('xx', []), 'nl');
    assert.equal(localeFor('nl', ['nl-BE']), 'nl-BE');
    assert.equal(localeFor('en', ['nl-NL']), 'en-GB');
  });

  test('Dutch: 30-11-2026 00:06 and € 1.234,56 (exact, no float), in Amsterdam time', async () => {
    const { createI18n } = await load('i18n.mjs');
    const nl = createI18n('nl', ['nl-NL'], 'Europe/Amsterdam');
    assert.equal(nl.dateTime('2026-11-29T23:06:00Z'), '30-11-2026 00:06');
    assert.equal(nl.dateTime('2026-11-29T23:06:07Z', { seconds: true }), '30-11-2026 00:06:07');
    assert.equal(nl.day('2026-11-30'), '30-11-2026');
    assert.equal(nl.amount('1234.56', 'EUR'), '€\u00a01.234,56');
    assert.equal(nl.amount('90071992547409.93', 'EUR'), '€\u00a090.071.992.547.409,93', 'beyond the precision of a float');
    assert.equal(nl.amount('12.10', 'USD'), 'US$\u00a012,10');
    assert.equal(nl.amount(null, 'EUR'), '—');
    assert.equal(nl.number(12345), '12.345');
    assert.equal(nl.duration(750), '0,8 s');
    assert.equal(nl.duration(185_000), '3 min 5 s');
    assert.equal(nl.t('mappings.woken', { n: 1 }), '1 wachtende export is gewekt.');
    assert.equal(nl.t('mappings.woken', { n: 2 }), '2 wachtende exports zijn gewekt.');
    assert.equal(nl.label('status', 'posted'), 'Geboekt');
    assert.equal(nl.label('status', 'something_new'), 'something_new', 'a status the page does not know yet shows as it is');
  });

  test('English: British by default, the browser’s own variant when it has one', async () => {
    const { createI18n } = await load('i18n.mjs');
    const gb = createI18n('en', ['nl-NL'], 'Europe/Amsterdam');
    assert.equal(gb.dateTime('2026-11-29T23:06:00Z'), '30/11/2026 00:06');
    assert.equal(gb.amount('1234.56', 'EUR'), '€1,234.56');
    const us = createI18n('en', ['en-US'], 'America/New_York');
    assert.equal(us.dateTime('2026-11-29T23:06:00Z'), '11/29/2026 06:06 PM');
    assert.equal(us.t('nav.needAction', { n: 1 }), '1 export needs action');
  });
});

describe('the mapping editor’s model', () => {
  test('rows from the saved mappings, suggested rows for what waiting exports need, the document it saves', async () => {
    const m = await load('mappings-model.mjs');
    assert.deepEqual(m.splitPath('categories.travel.glAccount'), { section: 'categories', key: 'travel' });
    assert.deepEqual(m.splitPath('vatRates.5.5'), { section: 'vatRates', key: '5.5' });
    assert.deepEqual(m.splitPath('employees.emp-1.supplier'), { section: 'employees', key: 'emp-1' });
    assert.deepEqual(m.splitPath('journalCode'), { section: 'general', key: 'journalCode' });
    assert.equal(m.splitPath('categories.travel'), null);
    assert.equal(m.splitPath('nonsense.x'), null);

    const saved = { journalCode: '90', creditAccount: '1610', categories: { travel: { glAccount: '4500' } }, vatRates: { '21': '5' }, costCenters: {}, costUnits: {}, employees: { e1: { supplier: '9001' } }, merchants: {} };
    const review = { references: [{ path: 'categories.travel.glAccount', record: { code: '4500', name: 'Reiskosten' } }], needed: [{ path: 'categories.parking.glAccount', reportIds: ['R1'], messages: [] }] };
    const draft = m.draftFrom(saved, review);
    assert.deepEqual(draft.rows.categories.map((r: any) => [r.key, r.code, r.suggested]), [['travel', '4500', false], ['parking', '', true]]);
    assert.equal(draft.rows.categories[0].record.name, 'Reiskosten');
    assert.equal(m.isDirty(draft, saved), false, 'an empty suggested row is no change');
    assert.deepEqual(m.payloadOf(draft), saved);

    draft.rows.categories[1].code = '4230';
    draft.rows.categories[1].suggested = false;
    assert.equal(m.isDirty(draft, saved), true);
    assert.equal(m.rowChanged('categories', draft.rows.categories[1], saved), true);
    assert.equal(m.rowChanged('categories', draft.rows.categories[0], saved), false);
    assert.deepEqual(m.payloadOf(draft).categories, { travel: { glAccount: '4500' }, parking: { glAccount: '4230' } });

    draft.rows.categories.push(m.newRow('travel', '4510'), m.newRow('', '4100'), m.newRow('meals', ''));
    assert.deepEqual(m.draftProblems(draft).map((p: any) => p.problem), ['duplicateKey', 'keyRequired', 'codeRequired']);
    assert.equal(m.canonical({ b: 1, a: [2, { d: 1, c: 2 }] }), '{"a":[2,{"c":2,"d":1}],"b":1}');
  });

  test('no mappings yet: empty journal and credit account are problems', async () => {
    const m = await load('mappings-model.mjs');
    const draft = m.draftFrom(null, { references: [], needed: [] });
    assert.deepEqual(m.draftProblems(draft).map((p: any) => p.rid), ['journalCode', 'creditAccount']);
    assert.equal(m.isDirty(draft, null), false);
  });
});

describe('the shell', () => {
  test('no inline script or style; versioned module and stylesheet; the domain module lists the registry', async () => {
    const page = loadAdminPage();
    assert.match(page.version, /^[0-9a-f]{12}$/);
    assert.doesNotMatch(page.html, /<script>|<style|style=|\son[a-z]+=/);
    assert.ok(page.html.includes(`<script type="module" src="/admin/assets/${page.version}/app.mjs"></script>`));
    assert.ok(page.html.includes(`/admin/assets/${page.version}/admin.css`));
    const domain = page.assets.get('domain.mjs')!.body.toString('utf8');
    for (const k of masterDataKinds) assert.ok(domain.includes(`"kind":"${k}"`), k);
    const { kindOfMappingPath, ACTION_STATUSES } = await import(`data:text/javascript;base64,${Buffer.from(domain).toString('base64')}`);
    assert.equal(kindOfMappingPath('categories.x.glAccount'), 'gl-accounts');
    assert.equal(kindOfMappingPath('employees.e.supplier'), 'suppliers');
    assert.ok(ACTION_STATUSES.includes('waiting_for_mappings'));
    const total = [...page.assets.values()].reduce((a, x) => a + x.body.length, 0) + page.html.length;
    assert.ok(total < 150 * 1024, `the page weighs ${Math.round(total / 1024)} KiB uncompressed`);
  });
});

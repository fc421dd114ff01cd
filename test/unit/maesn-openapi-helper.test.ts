import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMaesnSpec, specAbsentReason, validateRequest, validateResponse } from '../helpers/openapi';

const spec = loadMaesnSpec();
const skip = spec ? false : specAbsentReason;

const account = {
  id: '5570042',
  balance: 0,
  class: 'EXPENSE',
  code: '4500',
  createdDate: '2025-01-01T00:00:00Z',
  currency: 'EUR',
  debitCreditIndicator: 'DEBIT',
  description: 'Travel',
  name: 'Travel',
  number: '4500',
  parentAccountId: null,
  status: 'ACTIVE',
  type: 'EXPENSE',
  updatedDate: null,
};

describe('openapi test helper', { skip }, () => {
  test('accepts a list envelope that follows the spec (allOf override of data, nullable meta)', () => {
    const body = {
      meta: { warnings: null, pagination: { total: 1, perPage: 5, currentPage: 1, totalPages: 1 } },
      data: [account],
      errors: null,
      rawData: null,
    };
    assert.deepEqual(validateResponse(spec!, 'GET', '/accounting/accounts', 200, body), []);
    assert.deepEqual(validateResponse(spec!, 'GET', '/accounting/accounts', 200, { ...body, meta: null }), []);
  });

  test('rejects a response with wrong types, unknown enum values and missing envelope fields', () => {
    const errors = validateResponse(spec!, 'GET', '/accounting/accounts', 200, {
      meta: null,
      data: [{ ...account, balance: '12.50', class: 'COSTS' }],
      errors: null,
    });
    assert.ok(errors.some((e) => e.includes('rawData')), errors.join('\n'));
    assert.ok(errors.some((e) => e.includes('/data/0/balance')), errors.join('\n'));
    assert.ok(errors.some((e) => e.includes('/data/0/class')), errors.join('\n'));
  });

  test('reports undeclared statuses and accepts the text/html string of the hosted-link endpoint', () => {
    assert.match(validateResponse(spec!, 'GET', '/accounting/accounts', 418, {})[0], /not declared/);
    assert.deepEqual(validateResponse(spec!, 'GET', '/auth/{TARGET_SYSTEM}', 200, 'https://login.example/x'), []);
    assert.notDeepEqual(validateResponse(spec!, 'GET', '/auth/{TARGET_SYSTEM}', 200, { url: 'x' }), []);
  });

  test('validates query parameters: declared, typed, enum', () => {
    assert.deepEqual(
      validateRequest(spec!, 'GET', '/accounting/accounts', {
        query: { page: '2', limit: '50', companyId: '123', lastModifiedAt: '2025-01-01T00:00:00Z' },
        headers: { 'X-API-KEY': 'k', 'X-ACCOUNT-KEY': 'a' },
      }),
      [],
    );
    const errors = validateRequest(spec!, 'GET', '/accounting/accounts', {
      query: { page: 'two', limit: '25', pageSize: '5' },
      headers: {},
    });
    assert.equal(errors.length, 3, errors.join('\n'));
    assert.ok(errors.some((e) => e.includes("'page'")));
    assert.ok(errors.some((e) => e.includes("'limit'") && e.includes('allowed')));
    assert.ok(errors.some((e) => e.includes("'pageSize' is not declared")));
  });

  test('validates the JSON inside a multipart part against the create DTO', () => {
    const good = {
      accountingPeriodId: '2025-06',
      description: 'Expense report 42',
      journalCode: '90',
      transactionDate: '2025-06-30T00:00:00Z',
      journalLineItems: [{ accountId: 'gl-1', debitCreditIndicator: 'DEBIT', totalNetAmount: 100, taxRate: { code: '2' } }],
    };
    const req = (value: unknown, names = ['journal_entry']) => ({
      query: { companyId: '1' },
      headers: {},
      multipartJsonField: { name: 'journal_entry', value },
      multipartFieldNames: names,
    });
    assert.deepEqual(validateRequest(spec!, 'POST', '/accounting/journalEntries', req(JSON.stringify(good), ['journal_entry', 'files', 'filesPos'])), []);
    const bad = { ...good, journalLineItems: [{ accountId: 'gl-1', debitCreditIndicator: 'DEBET', totalNetAmount: '100.00' }] };
    const errors = validateRequest(spec!, 'POST', '/accounting/journalEntries', req(JSON.stringify(bad), ['journal_entry', 'attachment']));
    assert.ok(errors.some((e) => e.includes('debitCreditIndicator')), errors.join('\n'));
    assert.ok(errors.some((e) => e.includes('totalNetAmount')), errors.join('\n'));
    assert.ok(errors.some((e) => e.includes("'attachment'")), errors.join('\n'));
    assert.ok(validateRequest(spec!, 'POST', '/accounting/journalEntries', req('{not json')).some((e) => e.includes('not valid JSON')));
  });
});

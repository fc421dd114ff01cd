import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { demoAdministration, DEMO_DIVISIONS, generateAdministration } from '@exact-export/maesn-sandbox';
import { parseAmount, flattenFilesPos } from '../../sandbox/entry-input';
import { RateLimiter } from '../../sandbox/rate-limit';

describe('sandbox seed', () => {
  test('demo administration is deterministic', () => {
    assert.deepEqual(demoAdministration('123456'), demoAdministration('123456'));
    const other = demoAdministration('234567', 'second');
    assert.notEqual(other.accounts[0].id, demoAdministration('123456').accounts[0].id, 'ids differ per division');
  });

  test('demo chart of accounts covers expense, VAT, creditor and claims accounts', () => {
    const d = demoAdministration(DEMO_DIVISIONS[0].code);
    const byCode = new Map(d.accounts.map((a) => [a.code, a]));
    for (const code of ['4500', '4520', '4410', '4430', '4300', '4330', '1400', '1500', '1600', '1610']) assert.ok(byCode.has(code), `account ${code}`);
    assert.equal(byCode.get('4500')?.balanceType, 'W');
    assert.equal(byCode.get('1600')?.type, 22);
    assert.equal(byCode.get('1610')?.type, 25);
    assert.ok(d.accounts.some((a) => a.isBlocked), 'a blocked account exists');
    const ids = new Set(d.accounts.map((a) => a.id));
    assert.equal(ids.size, d.accounts.length, 'unique ids');
  });

  test('demo VAT codes distinguish 0 % and exempt, include reverse charge and a blocked code', () => {
    const v = demoAdministration('123456').vatCodes;
    const zero = v.find((x) => x.type === 'B' && x.transactionType === 'P');
    const exempt = v.find((x) => x.type === 'N' && x.transactionType === 'P');
    assert.ok(zero && exempt && zero.code !== exempt.code);
    assert.ok(v.some((x) => x.charged && x.transactionType === 'P'));
    assert.ok(v.some((x) => x.percentageBp === 2100 && x.transactionType === 'P'));
    assert.ok(v.some((x) => x.percentageBp === 900 && x.transactionType === 'P'));
    assert.ok(v.some((x) => x.isBlocked));
  });

  test('journals: memorial 90, purchase 60, bank 20; suppliers include employees', () => {
    const d = demoAdministration('123456');
    const j = new Map(d.journals.map((x) => [x.code, x]));
    assert.equal(j.get('90')?.type, 90);
    assert.equal(j.get('60')?.type, 22);
    assert.equal(j.get('20')?.type, 12);
    assert.ok(d.suppliers.filter((s) => s.isEmployee).length >= 3);
    assert.ok(d.suppliers.some((s) => s.blocked));
  });

  test('generateAdministration builds 100k suppliers deterministically with unique ids and codes', () => {
    const a = generateAdministration({ suppliers: 100_000, accounts: 5_000, seed: 7 });
    assert.equal(a.suppliers.length, 100_000);
    assert.equal(a.accounts.length, 5_000);
    assert.equal(new Set(a.suppliers.map((s) => s.id)).size, 100_000);
    assert.equal(new Set(a.accounts.map((s) => s.code)).size, 5_000);
    const b = generateAdministration({ suppliers: 1_000, accounts: 200, seed: 7 });
    assert.deepEqual(b.suppliers.slice(0, 50), generateAdministration({ suppliers: 1_000, accounts: 200, seed: 7 }).suppliers.slice(0, 50));
  });
});

describe('sandbox amount and filesPos parsing', () => {
  test('amounts: numbers and decimal strings to cents; more than 2 decimals rejected', () => {
    assert.deepEqual(parseAmount(12.34), { cents: 1234 });
    assert.deepEqual(parseAmount('7.5'), { cents: 750 });
    assert.deepEqual(parseAmount(-3), { cents: -300 });
    assert.deepEqual(parseAmount('1.230'), { cents: 123 });
    assert.deepEqual(parseAmount(0.1 + 0.2), { error: 'decimals' });
    assert.deepEqual(parseAmount('1.234'), { error: 'decimals' });
    assert.deepEqual(parseAmount('abc'), { error: 'invalid' });
    assert.deepEqual(parseAmount(Number.NaN), { error: 'invalid' });
  });

  test('filesPos accepts repeated fields, JSON arrays and comma lists', () => {
    assert.deepEqual(flattenFilesPos(['1', '3']), ['1', '3']);
    assert.deepEqual(flattenFilesPos('[1,2]'), ['1', '2']);
    assert.deepEqual(flattenFilesPos('2, 4'), ['2', '4']);
    assert.deepEqual(flattenFilesPos(undefined), []);
  });
});

describe('sandbox rate limiter', () => {
  test('minute window trips first, resets at the next calendar minute', () => {
    const rl = new RateLimiter({ perMinute: 2, perDay: 10 });
    const t0 = Date.UTC(2025, 0, 1, 10, 0, 30);
    assert.equal(rl.take('d', t0).allowed, true);
    assert.equal(rl.take('d', t0).allowed, true);
    const denied = rl.take('d', t0);
    assert.equal(denied.allowed, false);
    assert.equal(denied.retryAfterSeconds, 30);
    assert.equal(denied.headers['X-RateLimit-Minutely-Remaining'], '0');
    assert.equal(denied.headers['X-RateLimit-Minutely-Reset'], String(Date.UTC(2025, 0, 1, 10, 1, 0)));
    assert.equal(rl.take('other', t0).allowed, true, 'divisions are independent');
    assert.equal(rl.take('d', Date.UTC(2025, 0, 1, 10, 1, 0)).allowed, true);
  });

  test('daily window', () => {
    const rl = new RateLimiter({ perMinute: 100, perDay: 3 });
    const t = Date.UTC(2025, 0, 1, 23, 59, 0);
    for (let i = 0; i < 3; i++) assert.equal(rl.take('d', t + i * 61_000 - 120_000).allowed, true);
    const d = rl.take('d', t);
    assert.equal(d.allowed, false);
    assert.equal(d.headers['X-RateLimit-Remaining'], '0');
    assert.equal(d.retryAfterSeconds, 60);
    assert.equal(rl.take('d', Date.UTC(2025, 0, 2, 0, 0, 1)).allowed, true);
  });
});

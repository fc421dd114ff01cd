/**
 * Mappings and expense reports for the sandbox's demo administration (division 123456,
 * "Demo Advies B.V."). Used by `npm run demo` and by the export tests.
 */
import type { ExpenseReport, MappingsInput } from '../src/domain';

export const DEMO_DIVISION = '123456';

/** Mappings onto the demo administration's Exact codes. */
export function demoMappings(): MappingsInput {
  return {
    journalCode: '90', // Memoriaal
    creditAccount: '1610', // Te betalen declaraties
    categories: {
      travel: { glAccount: '4500' }, // Reiskosten
      'public-transport': { glAccount: '4510' },
      hotel: { glAccount: '4530' },
      meals: { glAccount: '4430' }, // Zakelijke maaltijden en consumpties
      office: { glAccount: '4300' }, // Kantoorbenodigdheden
      software: { glAccount: '4330' }, // Software en abonnementen
      parking: { glAccount: '4230' },
      mileage: { glAccount: '4520' }, // Kilometervergoeding
    },
    vatRates: { '21': '5', '9': '6', '0': '7', exempt: '8' },
    costCenters: { SALES: '200', CONSULTING: '400' },
    costUnits: {},
    employees: {
      'emp-jan': { supplier: '9001' },
      'emp-sanne': { supplier: '9002' },
      'emp-pieter': { supplier: '9003' },
    },
    merchants: {},
  };
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n').toString('base64');
const JPG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]).toString('base64');

export const demoFiles = { pdf: PDF, jpg: JPG };

/**
 * A realistic report: 21 % train ticket (VAT from the receipt), 9 % business lunch (VAT
 * computed), 0 % office item, a mileage claim, and a software subscription paid in USD (exempt).
 */
export function mixedReport(reportId: string, approvedAt = `${new Date().getUTCFullYear()}-11-20T15:04:05Z`): ExpenseReport {
  const year = approvedAt.slice(0, 4);
  return {
    reportId,
    employee: { id: 'emp-sanne', name: 'Sanne de Vries', email: 'sanne.devries@demo-advies.example' },
    approvedAt,
    currency: 'EUR',
    description: 'Klantbezoeken november',
    expenses: [
      {
        type: 'receipt',
        id: 'e1',
        date: `${year}-11-03`,
        description: 'Treinkaartje Utrecht-Maastricht',
        category: 'travel',
        amount: '121.00',
        currency: 'EUR',
        vatRate: '21',
        vatAmount: '21.00',
        costCenter: 'CONSULTING',
        costUnit: 'KD02',
        merchant: { name: 'Spoor & Stad Reizen B.V.', vatNumber: 'NL 8234.56789.B01' },
        receipts: [{ fileName: 'treinkaartje.pdf', contentType: 'application/pdf', contentBase64: PDF }],
      },
      {
        type: 'receipt',
        id: 'e2',
        date: `${year}-11-04`,
        description: 'Lunch met klant',
        category: 'meals',
        amount: '54.50',
        currency: 'EUR',
        vatRate: '9',
        costCenter: 'SALES',
        merchant: { name: 'Restaurant het Pakhuis' },
        receipts: [{ fileName: 'lunch.jpg', contentType: 'image/jpeg', contentBase64: JPG }],
      },
      {
        type: 'receipt',
        id: 'e3',
        date: `${year}-11-05`,
        description: 'Notitieboeken',
        category: 'office',
        amount: '19.99',
        currency: 'EUR',
        vatRate: '0',
        receipts: [],
      },
      {
        type: 'mileage',
        id: 'e4',
        date: `${year}-11-06`,
        description: 'Utrecht - Zwolle v.v.',
        category: 'mileage',
        distanceKm: '123.4',
        ratePerKm: '0.23',
        costCenter: 'CONSULTING',
      },
      {
        type: 'receipt',
        id: 'e5',
        date: `${year}-11-07`,
        description: 'Design tool subscription',
        category: 'software',
        amount: '100.00',
        currency: 'USD',
        exchangeRate: '0.92',
        vatRate: 'exempt',
        receipts: [],
      },
    ],
  };
}

/** A small report for one employee; `category` lets a test use an unmapped one. */
export function simpleReport(reportId: string, opts: { category?: string; amount?: string; approvedAt?: string; employeeId?: string } = {}): ExpenseReport {
  const approvedAt = opts.approvedAt ?? `${new Date().getUTCFullYear()}-11-20T09:00:00Z`;
  return {
    reportId,
    employee: { id: opts.employeeId ?? 'emp-jan', name: 'Jan Jansen', email: 'jan.jansen@demo-advies.example' },
    approvedAt,
    currency: 'EUR',
    description: 'Declaratie',
    expenses: [
      {
        type: 'receipt',
        id: 'x1',
        date: approvedAt.slice(0, 10),
        description: 'Parkeren',
        category: opts.category ?? 'parking',
        amount: opts.amount ?? '12.10',
        currency: 'EUR',
        vatRate: '21',
        receipts: [{ fileName: 'parkeren.pdf', contentType: 'application/pdf', contentBase64: PDF }],
      },
    ],
  };
}

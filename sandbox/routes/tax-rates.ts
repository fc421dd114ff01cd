/** VAT codes: `GET /accounting/taxRates` (isActive) and one by id. */
import type { Express } from 'express';
import { boolFilter, listResponse, singleResponse } from '../listing';
import { taxRateDto, taxRateRaw } from '../mapping';
import type { RouteDeps } from '../pipeline';

export function registerTaxRateRoutes(app: Express, { pipeline }: RouteDeps): void {
  app.get('/accounting/taxRates/:taxRateId', ...pipeline.api('getTaxRate', (req, res, { division }) => {
    singleResponse(req, res, division.taxRates.getById(String(req.params.taxRateId)), 'Tax rate', taxRateDto, taxRateRaw);
  }));

  app.get('/accounting/taxRates', ...pipeline.api('getTaxRates', (req, res, { division }) => {
    const active = boolFilter(req, 'isActive');
    const items = active === undefined ? division.taxRates.list() : division.taxRates.list().filter((v) => !v.isBlocked === active);
    listResponse(req, res, items, taxRateDto, taxRateRaw);
  }));
}

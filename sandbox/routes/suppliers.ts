/** Suppliers (Exact accounts with IsSupplier): `GET /accounting/suppliers` (name, number, email) and one by id. */
import type { Express } from 'express';
import { q } from '../context';
import { listResponse, singleResponse } from '../listing';
import { supplierDto, supplierRaw } from '../mapping';
import type { RouteDeps } from '../pipeline';

export function registerSupplierRoutes(app: Express, { pipeline }: RouteDeps): void {
  app.get('/accounting/suppliers/:contactId', ...pipeline.api('getSupplier', (req, res, { division }) => {
    singleResponse(req, res, division.suppliers.getById(String(req.params.contactId)), 'Supplier', supplierDto, supplierRaw);
  }));

  app.get('/accounting/suppliers', ...pipeline.api('getSuppliers', (req, res, { division }) => {
    const name = q(req, 'name')?.toLowerCase();
    const number = q(req, 'number');
    const email = q(req, 'email')?.toLowerCase();
    let items = division.suppliers.list();
    if (name || number || email) {
      items = items.filter(
        (s) => (!name || s.name.toLowerCase().includes(name)) && (!number || s.code === number.trim()) && (!email || (s.email ?? '').toLowerCase() === email),
      );
    }
    listResponse(req, res, items, supplierDto, supplierRaw);
  }));
}

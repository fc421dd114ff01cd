/** GL accounts: `GET /accounting/accounts` (isActive, debitCreditIndicator, classFilter, types) and one by id. */
import type { Express } from 'express';
import { q } from '../context';
import { boolFilter, listResponse, singleResponse } from '../listing';
import { accountDto, accountRaw } from '../mapping';
import type { RouteDeps } from '../pipeline';

export function registerAccountRoutes(app: Express, { pipeline }: RouteDeps): void {
  app.get('/accounting/accounts', ...pipeline.api('getAccounts', (req, res, { division }) => {
    const active = boolFilter(req, 'isActive');
    const dci = q(req, 'debitCreditIndicator');
    const cls = q(req, 'classFilter')?.toUpperCase();
    const types = q(req, 'types')?.split(',').map((t) => t.trim().toUpperCase()).filter(Boolean);
    let items = division.accounts.list();
    if (active !== undefined || dci || cls || types?.length) {
      items = items.filter((a) => {
        const dto = accountDto(a, 0);
        if (active !== undefined && (dto.status === 'ACTIVE') !== active) return false;
        if (dci && dto.debitCreditIndicator !== dci) return false;
        if (cls && dto.class !== cls) return false;
        if (types?.length && !types.includes(dto.type)) return false;
        return true;
      });
    }
    listResponse(req, res, items, (a) => accountDto(a, division.ledger.balances[a.id] ?? 0), accountRaw);
  }));

  app.get('/accounting/accounts/:accountId', ...pipeline.api('getAccount', (req, res, { division }) => {
    singleResponse(req, res, division.accounts.getById(String(req.params.accountId)), 'Account', (a) => accountDto(a, division.ledger.balances[a.id] ?? 0), accountRaw);
  }));
}

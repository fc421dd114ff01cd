/** Journals (dagboeken): `GET /accounting/journals`. */
import type { Express } from 'express';
import { listResponse } from '../listing';
import { journalDto, journalRaw } from '../mapping';
import type { RouteDeps } from '../pipeline';

export function registerJournalRoutes(app: Express, { pipeline }: RouteDeps): void {
  app.get('/accounting/journals', ...pipeline.api('getJournals', (req, res, { division }) => {
    listResponse(req, res, division.journals.list(), journalDto, journalRaw);
  }));
}

/** Cost centres and cost units as Maesn dimensions: `GET /accounting/dimensions`. */
import type { Express } from 'express';
import { listResponse } from '../listing';
import { dimensionDto, dimensionRaw } from '../mapping';
import type { RouteDeps } from '../pipeline';
import type { DimensionValue } from '../types';

export function registerDimensionRoutes(app: Express, { ctx, pipeline }: RouteDeps): void {
  app.get('/accounting/dimensions', ...pipeline.api('getDimensions', (req, res, { division }) => {
    const now = ctx.clock.wall();
    type Tagged = { kind: 'costCenter' | 'costUnit'; v: DimensionValue; updatedDate: string };
    const items: Tagged[] = [
      ...division.costCenters.list().map((v) => ({ kind: 'costCenter' as const, v, updatedDate: v.updatedDate })),
      ...division.costUnits.list().map((v) => ({ kind: 'costUnit' as const, v, updatedDate: v.updatedDate })),
    ];
    listResponse(req, res, items, (t) => dimensionDto(t.kind, t.v, now), (t) => dimensionRaw(t.kind, t.v));
  }));
}

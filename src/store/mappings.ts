/** Per-tenant mappings from platform values to Exact codes (validated by the domain schema). */
import type { Collection, Db } from 'mongodb';
import type { Mappings } from '../domain';
import { upsertRetrying } from './mongo';

interface MappingsDoc {
  _id: string; // tenantId
  mappings: Mappings;
  updatedAt: Date;
  version: number;
}

export class MappingStore {
  private readonly col: Collection<MappingsDoc>;
  constructor(db: Db) {
    this.col = db.collection<MappingsDoc>('mappings');
  }

  async get(tenantId: string): Promise<{ mappings: Mappings; updatedAt: Date; version: number } | null> {
    const d = await this.col.findOne({ _id: tenantId });
    return d ? { mappings: d.mappings, updatedAt: d.updatedAt, version: d.version } : null;
  }

  async put(tenantId: string, mappings: Mappings): Promise<{ version: number }> {
    const r = await upsertRetrying(() =>
      this.col.findOneAndUpdate({ _id: tenantId }, { $set: { mappings, updatedAt: new Date() }, $inc: { version: 1 } }, { upsert: true, returnDocument: 'after' }),
    );
    return { version: r?.version ?? 1 };
  }
}

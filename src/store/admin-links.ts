/**
 * One-time admin page links: a link's token ID is recorded when it is exchanged for a session,
 * so the same link cannot be used twice, also when it is opened twice at the same moment (the
 * record is a claim, see ./claims). Only a hash of the ID is kept, until the link expires.
 */
import { createHash } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { claimOnce } from './claims';

interface UsedLinkDoc {
  _id: string;
  expiresAt: Date;
}

export class AdminLinkStore {
  private readonly used: Collection<UsedLinkDoc>;

  constructor(db: Db) {
    this.used = db.collection<UsedLinkDoc>('admin_links_used');
  }

  /** Marks the link as used; false when it was used before. */
  async consume(linkId: string, expiresAt: Date): Promise<boolean> {
    // Links past their expiry are refused by their signature anyway: forget them.
    await this.used.deleteMany({ expiresAt: { $lt: new Date() } });
    return (await claimOnce(this.used, { _id: createHash('sha256').update(linkId).digest('hex'), expiresAt })).won;
  }
}

/**
 * Corrections: the reversal (storno) of a posted entry is its mirror — the same lines and amounts,
 * every side swapped — booked on the same date and period under a reference of its own (the
 * reversal is a revision of the export: the lookup after an unanswered POST finds it by that
 * reference), with text naming the entry it reverses.
 */
import { describeLine } from './export-reference';
import type { DebitCredit, JournalEntry } from './journal-entry';

const opposite = (side: DebitCredit): DebitCredit => (side === 'DEBIT' ? 'CREDIT' : 'DEBIT');

/** A description without the reference token it starts with (the reversal puts its own first). */
function withoutReference(description: string, reference: string): string {
  return description.startsWith(reference) ? description.slice(reference.length).trim() : description;
}

/** The mirror of `entry` under `reference`; every line's text starts "<reference> reversal of <original entry number>". */
export function reverseJournalEntry(entry: JournalEntry, opts: { reference: string; originalEntryNumber: string }): JournalEntry {
  const label = `reversal of ${opts.originalEntryNumber}`;
  const text = (description: string) => describeLine(opts.reference, `${label} ${withoutReference(description, entry.reference)}`);
  return {
    ...entry,
    reference: opts.reference,
    description: text(entry.description),
    lines: entry.lines.map((l) => ({ ...l, side: opposite(l.side), description: text(l.description) })),
  };
}

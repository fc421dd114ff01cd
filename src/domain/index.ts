/**
 * Public entry of the domain layer: pure, deterministic code (no I/O, no clock,
 * no randomness, no Node built-ins) that is safe to import inside Temporal workflows.
 */
export * from './money';
export * from './schemas';
export * from './master-data';
export * from './master-data-kinds';
export * from './amounts';
export * from './mapping-lookup';
export * from './mapping-check';
export * from './journal-entry';
export * from './export-reference';
export * from './entry-summary';
export * from './canonical-json';
export * from './export-status';
export * from './mapping-fields';
export * from './call-budget';
export * from './sync-plan';
export * from './export-posting';
export * from './settings';
export * from './booking-date';
export * from './periods';
export * from './vat-treatment';
export * from './reversal';
export * from './events';

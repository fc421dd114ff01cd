/**
 * The layering rules and the "one home per concept" rules, checked on the source text:
 * - src/domain is pure (imports only itself and zod);
 * - src/workflows imports only Temporal's workflow-safe packages, the domain, itself, and
 *   activity *types*;
 * - src/api imports services, stores, workflow definitions and the domain, never activities;
 * - src/maesn and src/store have one public entry (others import their index only);
 * - the service never imports the sandbox product;
 * - failure types and signal/query names are written only in the failures module and the
 *   workflow definitions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FailureType } from '../../src/workflows/failures';
import * as definitions from '../../src/workflows/definitions';

const ROOT = path.resolve(__dirname, '../..');
const SRC = path.join(ROOT, 'src');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

interface Import {
  file: string;
  spec: string;
  typeOnly: boolean;
  /** Resolved path relative to the repository (relative imports only). */
  target: string | null;
}

function importsOf(file: string): Import[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: Import[] = [];
  const re = /^(?:import|export)\s+(type\s+)?(?:[^;'"]*?\s+from\s+)?'([^']+)'/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[2];
    const target = spec.startsWith('.') ? path.relative(ROOT, path.resolve(path.dirname(file), spec)) : null;
    out.push({ file: path.relative(ROOT, file), spec, typeOnly: !!m[1], target });
  }
  return out;
}

const all = files(SRC).flatMap(importsOf);
const under = (p: string | null, dir: string) => p !== null && (p === dir || p.startsWith(`${dir}/`));

test('src/domain is pure: only itself and zod', () => {
  const bad = all.filter((i) => i.file.startsWith('src/domain/') && !(under(i.target, 'src/domain') || i.spec === 'zod'));
  assert.deepEqual(bad, []);
});

test('src/workflows imports only workflow-safe code and activity types', () => {
  const ok = (i: Import) =>
    under(i.target, 'src/workflows') ||
    under(i.target, 'src/domain') ||
    (under(i.target, 'src/activities') && i.typeOnly) ||
    ['@temporalio/workflow', '@temporalio/common'].includes(i.spec);
  assert.deepEqual(all.filter((i) => i.file.startsWith('src/workflows/') && !ok(i)), []);
});

test('workflows bring no zod into their bundle (each new run evaluates the bundle again)', () => {
  // Value imports only (type imports vanish); a folder means its index.
  const fileOf = (target: string) => (fs.existsSync(path.join(ROOT, `${target}.ts`)) ? `${target}.ts` : `${target}/index.ts`);
  const valueImports = new Map<string, Import[]>();
  for (const i of all) if (!i.typeOnly) valueImports.set(i.file, [...(valueImports.get(i.file) ?? []), i]);
  const reachesZod = (file: string, seen = new Set<string>()): string | null => {
    if (seen.has(file)) return null;
    seen.add(file);
    for (const i of valueImports.get(file) ?? []) {
      if (i.spec === 'zod') return file;
      const via = i.target && reachesZod(fileOf(i.target), seen);
      if (via) return via;
    }
    return null;
  };
  const offenders = files(path.join(SRC, 'workflows')).flatMap((f) => {
    const via = reachesZod(path.relative(ROOT, f));
    return via ? [`${path.relative(ROOT, f)} reaches zod through ${via}`] : [];
  });
  assert.deepEqual(offenders, []);
});

test('src/api and src/services never import activities', () => {
  const bad = all.filter((i) => (i.file.startsWith('src/api/') || i.file.startsWith('src/services/')) && under(i.target, 'src/activities'));
  assert.deepEqual(bad, []);
});

test('src/maesn and src/store are used through their one public entry', () => {
  for (const dir of ['src/maesn', 'src/store']) {
    const bad = all.filter((i) => !i.file.startsWith(`${dir}/`) && under(i.target, dir) && i.target !== dir && i.target !== `${dir}/index`);
    assert.deepEqual(bad, [], `${dir} imported past its index`);
  }
});

test('the service never imports the sandbox product', () => {
  assert.deepEqual(all.filter((i) => /(^|\/)sandbox(\/|$)/.test(i.spec) || under(i.target, 'sandbox')), []);
});

test('failure types are written only in the failures module', () => {
  const offenders: string[] = [];
  for (const file of files(SRC)) {
    const rel = path.relative(ROOT, file);
    if (rel === 'src/workflows/failures.ts') continue;
    const text = fs.readFileSync(file, 'utf8');
    for (const n of Object.values(FailureType)) if (new RegExp(`['"\`]${n}['"\`]`).test(text)) offenders.push(`${rel}: '${n}'`);
  }
  assert.deepEqual(offenders, []);
});

test('workflows, signals, queries and updates are named only in the workflow definitions', () => {
  const names = (Object.values(definitions) as unknown[])
    .filter((d): d is { type: string; name: string } => typeof d === 'object' && d !== null && 'name' in d && ['signal', 'query', 'update'].includes((d as { type?: string }).type ?? ''))
    .map((d) => d.name);
  assert.ok(names.includes('mappingFixed') && names.includes('authorized') && names.includes('authorizationUrl'));
  const workflowNames = ['exportExpenseReport', 'onboardTenant', 'syncMasterData'];
  const offenders: string[] = [];
  for (const file of files(SRC)) {
    const rel = path.relative(ROOT, file);
    if (rel === 'src/workflows/definitions.ts') continue;
    const text = fs.readFileSync(file, 'utf8');
    // A name passed to the SDK as a string: signal('x'), query('x'), define*('x'), start('x'), workflowType: 'x'.
    for (const n of [...names, ...workflowNames]) {
      const re = new RegExp(`(signal|query|Signal|Query|Update|start|execute|signalWithStart|WithStartWorkflowOperation)\\(\\s*['"\`]${n}['"\`]|workflowType:\\s*['"\`]${n}['"\`]`);
      if (re.test(text)) offenders.push(`${rel}: '${n}'`);
    }
  }
  assert.deepEqual(offenders, []);
});

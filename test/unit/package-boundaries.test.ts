/**
 * The Maesn sandbox is its own package (sandbox/, `@exact-export/maesn-sandbox`): the service in
 * src/ never imports it, and it never imports the service. What both need (the callback signature
 * scheme, the development API key and signing secret) each side writes itself; the contract tests
 * in sandbox-signature.test.ts and config.test.ts keep the two copies in step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every module specifier of `import … from`, `export … from`, `import()` and `require()`. */
function specifiers(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  return [...src.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]);
}

/** The file an import resolves into (relative ones), or the bare package name. */
function target(file: string, spec: string): string {
  return spec.startsWith('.') ? path.relative(ROOT, path.resolve(path.dirname(file), spec)) : spec;
}

test('the service (src/) imports nothing of the sandbox', () => {
  const files = tsFiles(path.join(ROOT, 'src'));
  assert.ok(files.length > 20, 'found the service sources');
  const offending = files.flatMap((f) =>
    specifiers(f)
      .filter((s) => s.startsWith('@exact-export/maesn-sandbox') || target(f, s).split(path.sep)[0] === 'sandbox')
      .map((s) => `${path.relative(ROOT, f)} → ${s}`),
  );
  assert.deepEqual(offending, []);
  assert.ok(!fs.existsSync(path.join(ROOT, 'src/sandbox')), 'no sandbox left in src/');
});

test('the sandbox imports nothing of the service and only its own declared dependencies', () => {
  const dir = path.join(ROOT, 'sandbox');
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]);
  const files = tsFiles(dir);
  assert.ok(files.length > 10, 'found the sandbox sources');
  const offending = files.flatMap((f) =>
    specifiers(f)
      .filter((s) => {
        if (s.startsWith('.')) return target(f, s).split(path.sep)[0] !== 'sandbox';
        if (s.startsWith('node:')) return false;
        const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0];
        return !declared.has(name);
      })
      .map((s) => `${path.relative(ROOT, f)} → ${s}`),
  );
  assert.deepEqual(offending, []);
});

test('the root package.json declares the sandbox as its npm workspace', () => {
  const root = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const sandbox = JSON.parse(fs.readFileSync(path.join(ROOT, 'sandbox/package.json'), 'utf8'));
  assert.deepEqual(root.workspaces, ['sandbox']);
  assert.equal(sandbox.name, '@exact-export/maesn-sandbox');
  assert.equal(sandbox.private, true);
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  assert.deepEqual(lock.packages.sandbox.dependencies, sandbox.dependencies, 'the lockfile knows the workspace as it is');
  for (const [name, version] of Object.entries<string>({ ...sandbox.dependencies, ...sandbox.devDependencies })) {
    assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is pinned to an exact version`);
  }
});

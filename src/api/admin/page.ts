/**
 * The admin page (Integrations → Exact Online): an HTML shell and its static modules, served by
 * the API. The browser code is plain JavaScript modules in ./assets (no build step, no framework),
 * read once at start-up; `domain.mjs` is written here from the domain's registries (master-data
 * kinds, export statuses), so the page lists what the service knows. Asset URLs carry a version
 * (a hash of every asset), so browsers may keep them for good.
 *
 * The page holds no data: it signs in with a one-time link (`/admin#token=…`) and reads the JSON
 * API with its session cookie. The Content-Security-Policy allows scripts and styles from this
 * origin only: no inline script or style anywhere, no 'unsafe-inline'.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { MASTER_DATA_KINDS, actionExportStatuses, exportStatuses, masterDataKinds } from '../../domain';

export const ADMIN_ASSETS_DIR = path.join(__dirname, 'assets');

const CONTENT_TYPES: Record<string, string> = { '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

export interface AdminAsset {
  body: Buffer;
  /** The same, gzip-compressed once at start-up (for browsers that accept it). */
  gzip: Buffer;
  contentType: string;
}

export interface AdminPage {
  html: string;
  /** Hash of every asset: part of their URLs (`/admin/assets/<version>/<file>`). */
  version: string;
  assets: ReadonlyMap<string, AdminAsset>;
}

/** The registries the page needs, as a module (one home: the domain). */
function domainModule(): string {
  const kinds = masterDataKinds.map((k) => ({ kind: k, label: MASTER_DATA_KINDS[k].label, mappingPaths: MASTER_DATA_KINDS[k].mappingPaths }));
  return `// Written by the API from the domain's registries (src/domain); do not edit.
export const KINDS = ${JSON.stringify(kinds)};
export const EXPORT_STATUSES = ${JSON.stringify(exportStatuses)};
export const ACTION_STATUSES = ${JSON.stringify(actionExportStatuses)};
/** The kind whose codes a mapping path holds (as the domain's kindOfMappingPath). */
export function kindOfMappingPath(path) {
  for (const k of KINDS) if (k.mappingPaths.some((p) => (p.endsWith('.') ? path.startsWith(p) : path === p))) return k.kind;
  return null;
}
`;
}

function shell(version: string, modules: string[]): string {
  const a = (file: string) => `/admin/assets/${version}/${file}`;
  // Every module is fetched at once instead of import after import.
  const preload = modules.filter((m) => m !== 'app.mjs').map((m) => `<link rel="modulepreload" href="${a(m)}">`).join('\n');
  return `<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Exact Online</title>
<link rel="icon" href="${a('icon.svg')}">
<link rel="stylesheet" href="${a('admin.css')}">
<script type="module" src="${a('app.mjs')}"></script>
${preload}
</head>
<body>
<a id="skip" class="skip" href="#main"></a>
<header class="top">
  <div id="brand" class="brand">Exact Online</div>
  <div id="tenant" class="tenant"></div>
  <div class="tools">
    <label id="langLabel" for="lang" class="sr-only">Taal / Language</label>
    <select id="lang"></select>
    <button id="signOut" type="button" class="link" hidden></button>
  </div>
</header>
<nav id="nav" class="tabs" hidden></nav>
<div id="toast" class="toast-area" role="status" aria-live="polite"></div>
<main id="main" tabindex="-1"><p class="muted">…</p></main>
<noscript><p>Deze pagina heeft JavaScript nodig. / This page needs JavaScript.</p></noscript>
</body>
</html>
`;
}

/** Reads the assets (at start-up), adds the domain module, and renders the shell. */
export function loadAdminPage(dir = ADMIN_ASSETS_DIR): AdminPage {
  const assets = new Map<string, AdminAsset>();
  const add = (file: string, body: Buffer) => assets.set(file, { body, gzip: gzipSync(body, { level: 9 }), contentType: CONTENT_TYPES[path.extname(file)] });
  for (const file of fs.readdirSync(dir).sort()) {
    if (CONTENT_TYPES[path.extname(file)]) add(file, fs.readFileSync(path.join(dir, file)));
  }
  add('domain.mjs', Buffer.from(domainModule(), 'utf8'));
  if (!assets.has('app.mjs') || !assets.has('admin.css')) throw new Error(`the admin page's assets are missing in ${dir}`);
  const hash = createHash('sha256');
  for (const [name, asset] of assets) hash.update(name).update('\0').update(asset.body).update('\0');
  const version = hash.digest('hex').slice(0, 12);
  return { html: shell(version, [...assets.keys()].filter((f) => f.endsWith('.mjs'))), version, assets };
}

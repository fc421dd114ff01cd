/** `npm run build` step: the admin page's browser modules and styles are not TypeScript; copy them next to the compiled page. */
import fs from 'node:fs';
import path from 'node:path';

const from = path.resolve(__dirname, '../src/api/admin/assets');
const to = path.resolve(__dirname, '../dist/src/api/admin/assets');
fs.rmSync(to, { recursive: true, force: true });
fs.cpSync(from, to, { recursive: true });
console.log(`admin page assets: ${path.relative(process.cwd(), to)} (${fs.readdirSync(to).length} files)`);

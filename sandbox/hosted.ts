/**
 * The sandbox's hosted connect page: imitates Exact Online's login followed by the choice of
 * administration (division). Plain HTML form, no JavaScript or cookies, so a test can drive it
 * with a single form POST (`division=<code>`).
 */
import type { DivisionInfo } from './types';

export interface HostedSession {
  id: string;
  targetSystem: string;
  callbackUrl: string;
  cancelCallbackUrl: string | null;
  includeSignature: boolean;
  preselectedDivision: string | null;
  expiresAt: number;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const REGION: Record<string, string> = {
  'exact-nl': 'Nederland',
  'exact-be': 'België',
  'exact-de': 'Deutschland',
  'exact-gb': 'United Kingdom',
};

export function loginPage(session: HostedSession, divisions: DivisionInfo[], error?: string): string {
  const action = `/hosted/${encodeURIComponent(session.targetSystem)}/login?session=${encodeURIComponent(session.id)}`;
  const pre = session.preselectedDivision ?? divisions[0]?.code;
  const options = divisions
    .map(
      (d) =>
        `<label class="div"><input type="radio" name="division" value="${escapeHtml(d.code)}"${d.code === pre ? ' checked' : ''}> ` +
        `<strong>${escapeHtml(d.code)}</strong> ${escapeHtml(d.name)}</label>`,
    )
    .join('\n        ');
  return `<!doctype html>
<html lang="nl">
<head>
  <meta charset="utf-8">
  <title>Exact Online (sandbox) – Inloggen</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <style>
    body { font-family: system-ui, sans-serif; background: #f3f4f6; margin: 0; }
    header { background: #e3000f; color: #fff; padding: 12px 24px; font-weight: 600; }
    main { max-width: 480px; margin: 40px auto; background: #fff; padding: 24px 32px; border-radius: 6px; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
    label { display: block; margin: 8px 0; }
    input[type=text], input[type=password] { width: 100%; padding: 6px; box-sizing: border-box; }
    .div { padding: 6px; border: 1px solid #ddd; border-radius: 4px; }
    .error { color: #b00020; }
    .note { color: #666; font-size: 12px; }
    button { padding: 8px 16px; margin-right: 8px; }
  </style>
</head>
<body>
  <header>Exact Online · ${escapeHtml(REGION[session.targetSystem] ?? session.targetSystem)} · SANDBOX</header>
  <main>
    <h1>Inloggen en administratie kiezen</h1>
    ${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
    <form method="post" action="${escapeHtml(action)}">
      <label>Gebruikersnaam <input type="text" name="username" value="demo@sandbox.example" autocomplete="off"></label>
      <label>Wachtwoord <input type="password" name="password" value="sandbox"></label>
      <fieldset>
        <legend>Administratie (division)</legend>
        ${options || '<p class="error">Geen administraties beschikbaar.</p>'}
      </fieldset>
      <p class="note">Sandbox: elk wachtwoord is goed. De gekozen administratie wordt aan de koppeling gebonden.</p>
      <button type="submit" name="action" value="login">Inloggen en toestaan</button>
      ${session.cancelCallbackUrl ? '<button type="submit" name="action" value="cancel" formnovalidate>Annuleren</button>' : ''}
    </form>
  </main>
</body>
</html>`;
}

export function messagePage(title: string, message: string): string {
  return `<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
}

// The account page (/account) as a browser without JavaScript uses it: sign in through the hosted sign-in
// page and land there, post one of its forms, read its text; and a sign-in made to look old (past
// SESSION_RECENT_LOGIN) without waiting.
import assert from 'node:assert/strict';
import type { TestApp } from './app.js';
import { HttpAgent, expectPage, isLoginPage, parseForms, type Page, type ParsedForm } from './oidc.js';

/** The page's text, roughly as a reader sees it: no styles, no tags, whitespace collapsed. */
export const pageText = (page: Page | { html: string }) =>
  page.html
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/\s+/g, ' ');

/** Matches the forms posting to `path` (and passing `extra`). */
export const formTo = (path: string, extra?: (f: ParsedForm) => boolean) => (f: ParsedForm) =>
  f.action.pathname === path && (extra ? extra(f) : true);

/** Signs `agent` in through the hosted sign-in page, arriving at the account page. */
export async function signInToAccount(
  t: TestApp,
  user: { email: string; password: string },
  agent = new HttpAgent(),
): Promise<{ agent: HttpAgent; account: Page }> {
  const login = expectPage(await agent.walk(`${t.base}/account`), 'the sign-in page', isLoginPage);
  const account = expectPage(
    await agent.submit(login, { email: user.email, password: user.password }),
    'the account page',
  );
  assert.equal(account.url.pathname, '/account', pageText(account));
  assert.equal(account.status, 200);
  return { agent, account };
}

/**
 * Posts the first of the page's forms to `path` without following the answer: its fields as on the page,
 * `values` added or replaced, `omit` left out.
 */
export async function postPageForm(
  agent: HttpAgent,
  page: Page,
  path: string,
  values: Record<string, string>,
  omit: string[] = [],
): Promise<{ status: number; location: string | null; headers: Headers; html: string }> {
  const form = parseForms(page).find(formTo(path));
  assert.ok(form, `a form posting to ${path}`);
  const body = new URLSearchParams();
  for (const f of form.fields)
    if (!(f.name in values) && !omit.includes(f.name)) body.append(f.name, f.value);
  for (const [k, v] of Object.entries(values)) body.append(k, v);
  const response = await agent.request(form.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
  });
  return {
    status: response.status,
    location: response.headers.get('location'),
    headers: response.headers,
    html: await response.text(),
  };
}

/** Moves the user's sign-ins 6 minutes back (past SESSION_RECENT_LOGIN's 5), and tells the session cache. */
export async function signedInLongAgo(t: TestApp, userId: string): Promise<void> {
  const moved = await t.db.query<{ id: string; tenant_id: string }>(
    `UPDATE sessions SET auth_time = now() - interval '6 minutes' WHERE user_id = $1 RETURNING id, tenant_id`,
    [userId],
  );
  await t.app.services.sessionAccess.invalidateSessions(
    moved.rows[0]!.tenant_id,
    moved.rows.map((r) => r.id),
  );
}

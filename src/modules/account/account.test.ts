// The account page over real HTTP, as a browser without JavaScript uses it: signed out it sends to the
// sign-in page and back; each form is CSRF-checked, answers 303 when done, and the page again with the
// reason when refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../../../test/support/app.js';
import {
  formTo,
  postPageForm as post,
  pageText as textOf,
  signInToAccount,
  signedInLongAgo as moveSignInsBack,
} from '../../../test/support/account-page.js';
import { HttpAgent, expectPage, isLoginPage, parseForms } from '../../../test/support/oidc.js';
import { featureModules } from '../index.js';
import { defineModule } from '../../kernel/module.js';
import { markup } from '../../http/views/layout.js';

const NEW_PASSWORD = 'Fresh-Orchard-Lantern-93';

/** A module that adds a section, to check what the seam hands it. */
const sectionModule = defineModule({
  id: 'test-section',
  setup: () => ({
    pages: {
      accountSections: [
        {
          id: 'test-factors',
          title: 'Test factors',
          notices: { test_done: 'The test section did its work.' },
          render: async (args) =>
            markup`<p data-test="args">user=${args.user.email} recent=${String(args.recentSignIn)} amr=${args.session.amr.join(',')} base=${args.page.basePath}</p>
<form method="post" action="${args.page.basePath}/test-section"><input type="hidden" name="csrf_token" value="${args.page.csrfToken}"></form>
<a href="${args.reauthenticateHref}">again</a>`,
        },
      ],
    },
  }),
});

let t: TestApp;
before(async () => {
  t = await startTestApp({ LOGIN_MAX_FAILURES: '4' }, { modules: [...featureModules, sectionModule] });
});
after(async () => {
  await t.close();
});

async function newUser(): Promise<{ email: string; password: string; id: string }> {
  const email = uniqueEmail('account');
  const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD, name: 'Ada' });
  assert.equal(registered.status, 201);
  return { email, password: STRONG_PASSWORD, id: (registered.body.user as { id: string }).id };
}

const signedInAgent = (user: { email: string; password: string }, agent?: HttpAgent) =>
  signInToAccount(t, user, agent);
const signedInLongAgo = (userId: string) => moveSignInsBack(t, userId);

async function auditTypes(userId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const rows = await t.db.query<{ type: string; data: Record<string, unknown> }>(
    'SELECT type, data FROM audit_events WHERE user_id = $1 ORDER BY id',
    [userId],
  );
  return rows.rows;
}

describe('the account page', () => {
  test('signed out, it sends to sign in and comes back; return_to takes only a page of ours', async () => {
    const agent = new HttpAgent();
    const first = await agent.request(`${t.base}/account`);
    assert.equal(first.status, 303);
    assert.equal(first.headers.get('location'), '/login?return_to=/account');
    const tenantFirst = await agent.request(`${t.base}/t/default/account`);
    assert.equal(tenantFirst.status, 303);
    assert.equal(tenantFirst.headers.get('location'), '/login?return_to=/account', 'the default tenant');

    for (const hostile of [
      '//evil.example',
      'https://evil.example/',
      '/\\evil.example',
      '/account?x=1',
      '/../x',
    ]) {
      const response = await agent.request(`${t.base}/login?return_to=${encodeURIComponent(hostile)}`);
      assert.equal(response.status, 400, `return_to=${hostile} is refused`);
      await response.body?.cancel();
    }
    const user = await newUser();
    const { account } = await signedInAgent(user, agent);
    assert.match(textOf(account), /Your account/);
    assert.match(textOf(account), new RegExp(`Signed in as ${user.email.replace(/\./g, '\\.')}`));
  });

  test('the name is saved (control characters refused), audited without the name', async () => {
    const user = await newUser();
    const { agent, account } = await signedInAgent(user);
    const bad = await post(agent, account, '/account/profile', { name: 'Ada\u202Eevil' });
    assert.equal(bad.status, 400);
    assert.match(bad.html, /role="alert"[^>]*>The name contains control or text-direction characters/);

    const saved = await post(agent, account, '/account/profile', { name: 'Ada Lovelace' });
    assert.equal(saved.status, 303);
    assert.equal(saved.location, '/account?notice=name_saved');
    const after = expectPage(await agent.walk(`${t.base}${saved.location}`), 'the account page');
    assert.match(after.html, /value="Ada Lovelace"/);
    assert.match(textOf(after), /Your name is saved/);
    const me = await t.get('/v2/session', { cookie: agent.jar.header(new URL(t.base)) });
    assert.equal((me.body.user as { name: string }).name, 'Ada Lovelace');
    const event = (await auditTypes(user.id)).find((e) => e.type === 'user.profile_updated');
    assert.ok(event, 'audited');
    assert.ok(!JSON.stringify(event.data).includes('Lovelace'), 'without the name');
  });

  test('a form without the CSRF token of this browser is refused and changes nothing', async () => {
    const user = await newUser();
    const other = await signedInAgent(user);
    const { agent, account } = await signedInAgent(user);
    for (const [path, values] of [
      ['/account/profile', { name: 'Mallory' }],
      [
        '/account/password',
        { current_password: user.password, new_password: NEW_PASSWORD, confirm: NEW_PASSWORD },
      ],
      ['/account/sessions/sign-out-others', {}],
    ] as const) {
      const forged = await post(agent, account, path, { ...values, csrf_token: 'forged' });
      assert.equal(forged.status, 403, `${path}: a forged token`);
      const missing = await post(agent, account, path, values, ['csrf_token']);
      assert.equal(missing.status, 403, `${path}: no token`);
    }
    assert.doesNotMatch(
      expectPage(await agent.walk(`${t.base}/account`), 'the account page').html,
      /Mallory/,
    );
    assert.equal(
      (await t.post('/v2/auth/login', { email: user.email, password: user.password })).status,
      200,
    );
    assert.equal((await other.agent.request(`${t.base}/account`)).status, 200, 'the other session lives');
  });

  test('changing the password: a wrong current one is refused and counts like a failed sign-in', async () => {
    const user = await newUser();
    const { agent, account } = await signedInAgent(user);
    for (let i = 0; i < 3; i++) {
      const wrong = await post(agent, account, '/account/password', {
        current_password: `Not-The-Password-${i}`,
        new_password: NEW_PASSWORD,
        confirm: NEW_PASSWORD,
      });
      assert.equal(wrong.status, 401, wrong.html.replace(/<style[\s\S]*?<\/style>/, '').slice(0, 3000));
      assert.match(wrong.html, /Your current password is not correct/);
    }
    const failures = (await auditTypes(user.id)).filter((e) => e.type === 'login.failed');
    assert.equal(failures.length, 3, 'each wrong current password is a failed sign-in');
    // LOGIN_MAX_FAILURES=4: the fourth wrong guess locks the account, and then even the right one waits.
    const fourth = await post(agent, account, '/account/password', {
      current_password: 'Not-The-Password-4',
      new_password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    });
    assert.equal(fourth.status, 401);
    const locked = await post(agent, account, '/account/password', {
      current_password: user.password,
      new_password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    });
    assert.equal(locked.status, 429, 'the lockout holds on the account page');
    assert.match(locked.html, /role="alert"/);
    assert.equal(
      (await t.post('/v2/auth/login', { email: user.email, password: user.password })).status,
      429,
    );
  });

  test('a weak or mistyped new password is refused with the reason', async () => {
    const user = await newUser();
    const { agent, account } = await signedInAgent(user);
    const weak = await post(agent, account, '/account/password', {
      current_password: user.password,
      new_password: 'password',
      confirm: 'password',
    });
    assert.equal(weak.status, 400);
    assert.match(weak.html, /role="alert"/);
    assert.match(weak.html, /(common|at least)/i);
    const mismatch = await post(agent, account, '/account/password', {
      current_password: user.password,
      new_password: NEW_PASSWORD,
      confirm: `${NEW_PASSWORD}x`,
    });
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.html, /do not match/);
    assert.equal(
      (await t.post('/v2/auth/login', { email: user.email, password: user.password })).status,
      200,
    );
  });

  test('a new password signs out every other session and keeps this one', async () => {
    const user = await newUser();
    const api = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    const other = await signedInAgent(user);
    const { agent, account } = await signedInAgent(user);
    const changed = await post(agent, account, '/account/password', {
      current_password: user.password,
      new_password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    });
    assert.equal(changed.status, 303, changed.html.slice(0, 500));
    assert.equal(changed.location, '/account?notice=password_changed');
    assert.equal((await agent.request(`${t.base}/account`)).status, 200, 'this browser stays signed in');
    assert.equal((await other.agent.request(`${t.base}/account`)).status, 303, 'the other browser is out');
    assert.equal(
      (await t.post('/v2/auth/refresh', { refresh_token: api.body.refresh_token })).status,
      400,
      "the API session's refresh token is dead",
    );
    assert.equal(
      (await t.post('/v2/auth/login', { email: user.email, password: user.password })).status,
      401,
    );
    assert.equal((await t.post('/v2/auth/login', { email: user.email, password: NEW_PASSWORD })).status, 200);
    const event = (await auditTypes(user.id)).find((e) => e.type === 'password.changed');
    assert.ok(event, 'audited');
    assert.ok(Number(event.data.sessions_revoked) >= 3, JSON.stringify(event.data));
    const trail = JSON.stringify(await auditTypes(user.id));
    assert.ok(!trail.includes(NEW_PASSWORD) && !trail.includes(user.password), 'no password in the trail');
  });

  test('without a recent sign-in the password form is replaced by "Confirm it\'s you", and a post is refused', async () => {
    const user = await newUser();
    const { agent } = await signedInAgent(user);
    const fresh = expectPage(await agent.walk(`${t.base}/account`), 'the account page');
    await signedInLongAgo(user.id);
    const stale = expectPage(await agent.walk(`${t.base}/account`), 'the account page');
    assert.ok(!parseForms(stale).some(formTo('/account/password')), 'no password form');
    assert.match(textOf(stale), /Confirm it’s you/);
    assert.match(stale.html, /href="\/login\?return_to=\/account"/);
    // The form of the page opened while the sign-in was fresh is refused now.
    const refused = await post(agent, fresh, '/account/password', {
      current_password: user.password,
      new_password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    });
    assert.equal(refused.status, 401);
    assert.match(refused.html, /Confirm it’s you: sign in again to change your password/);
    assert.equal((await t.post('/v2/auth/login', { email: user.email, password: NEW_PASSWORD })).status, 401);

    // Signing in again (the link) gives a fresh sign-in and comes back with the form.
    const again = expectPage(
      await agent.walk(`${t.base}/login?return_to=/account`),
      'the sign-in page',
      isLoginPage,
    );
    assert.match(textOf(again), /Confirm it’s you/);
    assert.match(
      again.html,
      new RegExp(`value="${user.email.replace(/\./g, '\\.')}"`),
      'the email is filled in',
    );
    const back = expectPage(await agent.submit(again, { password: user.password }), 'the account page');
    assert.equal(back.url.pathname, '/account');
    const changed = await post(agent, back, '/account/password', {
      current_password: user.password,
      new_password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    });
    assert.equal(changed.status, 303);
  });

  test("sessions: listed with the device, one or all others signed out, never another user's", async () => {
    const user = await newUser();
    const stranger = await newUser();
    const strangers = await signedInAgent(stranger);
    const phone = await signedInAgent(user);
    const laptop = await signedInAgent(user);
    const { agent, account } = await signedInAgent(user);
    const sessions = await t.db.query<{ id: string; user_id: string }>(
      `SELECT id, user_id FROM sessions WHERE user_id = ANY($1::uuid[]) AND revoked_at IS NULL AND kind = 'browser' ORDER BY created_at`,
      [[user.id, stranger.id]],
    );
    const [strangerSession] = sessions.rows.filter((s) => s.user_id === stranger.id);
    const [phoneSession] = sessions.rows.filter((s) => s.user_id === user.id);
    assert.ok(strangerSession && phoneSession);

    const text = textOf(account);
    assert.match(text, /This device/);
    assert.equal((account.html.match(/class="badge here"/g) ?? []).length, 1, 'one "this device"');
    assert.match(text, /127\.0\.0\.1/);
    assert.match(text, /Signed in (just now|\d+ minutes? ago)/);
    const rowForms = parseForms(account).filter(formTo('/account/sessions/sign-out'));
    assert.equal(rowForms.length, 3, 'a sign-out button for every session but this one (2 browsers, 1 API)');

    const foreign = await post(agent, account, '/account/sessions/sign-out', {
      session_id: strangerSession.id,
    });
    assert.equal(foreign.status, 404);
    assert.equal(
      (await strangers.agent.request(`${t.base}/account`)).status,
      200,
      "the stranger's session lives",
    );

    const one = await post(agent, account, '/account/sessions/sign-out', { session_id: phoneSession.id });
    assert.equal(one.status, 303);
    assert.equal(one.location, '/account?notice=session_signed_out');
    assert.equal((await phone.agent.request(`${t.base}/account`)).status, 303, 'the phone is signed out');
    assert.equal((await laptop.agent.request(`${t.base}/account`)).status, 200, 'the laptop is not');

    const others = await post(agent, account, '/account/sessions/sign-out-others', {});
    assert.equal(others.status, 303);
    assert.equal((await laptop.agent.request(`${t.base}/account`)).status, 303, 'the laptop is signed out');
    const page = expectPage(await agent.walk(`${t.base}${others.location}`), 'the account page');
    assert.match(textOf(page), /Your other sessions are signed out/);
    assert.equal(
      parseForms(page).filter(formTo('/account/sessions/sign-out')).length,
      0,
      'only this one left',
    );
    assert.equal(
      (await strangers.agent.request(`${t.base}/account`)).status,
      200,
      "the stranger's still lives",
    );
    const types = (await auditTypes(user.id)).map((e) => e.type);
    assert.ok(types.includes('session.revoked') && types.includes('session.others_revoked'));
  });

  test('modules add sections: rendered with the user, the session, the page and the recent flag', async () => {
    const user = await newUser();
    const { agent, account } = await signedInAgent(user);
    assert.match(
      account.html,
      /<section class="card" id="test-factors" aria-labelledby="test-factors-title">/,
    );
    assert.match(
      account.html,
      new RegExp(`user=${user.email.replace(/\./g, '\\.')} recent=true amr=pwd base=</p>`),
    );
    const csrf = parseForms(account)
      .find(formTo('/test-section'))
      ?.fields.find((f) => f.name === 'csrf_token');
    const real = parseForms(account)
      .find(formTo('/account/profile'))
      ?.fields.find((f) => f.name === 'csrf_token');
    assert.ok(csrf?.value && csrf.value === real?.value, 'the section gets the page CSRF token');
    const noticed = expectPage(await agent.walk(`${t.base}/account?notice=test_done`), 'the account page');
    assert.match(textOf(noticed), /The test section did its work/);
    const unknown = expectPage(await agent.walk(`${t.base}/account?notice=%3Cb%3Ehi`), 'the account page');
    assert.doesNotMatch(unknown.html, /role="status"/, 'an unknown notice shows nothing');
  });
});

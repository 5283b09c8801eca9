// Trusted devices and adaptive rules over real HTTP, with the real MFA module: a browser remembers itself
// on the hosted /mfa page, then signs in (hosted page or API) with its cookie, from the addresses
// X-Forwarded-For names (TRUST_PROXY=1). Each test has a tenant of its own, whose policy it sets through
// the admin API. A device "N days old" is the server's own cookie sealed again with its times N days
// earlier: what the server would have issued then.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../../../test/support/app.js';
import { bearer, enrolTotp, totpCode } from '../../../test/support/mfa.js';
import {
  HttpAgent,
  expectPage,
  isLoginPage,
  type Page,
  type ParsedForm,
} from '../../../test/support/oidc.js';
import { createTenantChecked } from '../../admin/tenants.js';
import { SealedState } from '../../crypto/sealed-state.js';
import { TRUSTED_DEVICE_SEAL, deviceCookieName, type TrustedDevice } from './policy.js';

const DAY_MS = 86_400_000;
/** The User-Agent HttpAgent sends (test/support/oidc.ts): the browser the cookie is issued to. */
const BROWSER = 'hellojohn-tests/1 (HttpAgent)';
const NEW_PASSWORD = 'Another-Quiet-Harbour-58';

interface User {
  tenant: string;
  email: string;
  password: string;
  id: string;
  secret: string;
  /** The TOTP time step last used, ahead of now (each accepted step must be later than the last). */
  step: number;
}
interface Device {
  name: string;
  value: string;
}

describe('trusted devices and adaptive rules', () => {
  const masterKey = randomBytes(32);
  const devices = new SealedState<TrustedDevice>(masterKey, TRUSTED_DEVICE_SEAL, 1024);
  let t: TestApp;
  let admin: Record<string, string>;
  let tenants = 0;

  before(async () => {
    t = await startTestApp({
      MFA_TOTP_WINDOW: '10',
      TRUST_PROXY: '1',
      SECRETBOX_MASTER_KEY: masterKey.toString('base64'),
    });
    admin = bearer((await t.app.services.admins.create('root@example.com')).token);
  });
  after(() => t.close());

  /** The next TOTP code the user may sign in with (MFA_TOTP_WINDOW lets it be a few steps ahead). */
  const nextCode = (user: User) => totpCode(user.secret, ++user.step);

  async function setPolicy(tenant: string, policy: Record<string, unknown>) {
    const set = await t.app.inject({
      method: 'PUT',
      url: `/v2/admin/tenants/${tenant}/mfa-policy`,
      headers: admin,
      payload: policy,
    });
    assert.equal(set.statusCode, 200, set.body);
  }

  /**
   * A user with an authenticator app, registered from `ip`: in a tenant of the test's own unless `tenant`
   * names one.
   */
  async function newUser(options: { ip?: string; tenant?: string; email?: string } = {}): Promise<User> {
    const { ip = '192.0.2.1', email = uniqueEmail('trusted') } = options;
    let tenant = options.tenant;
    if (!tenant) {
      tenant = `devices-${++tenants}`;
      await createTenantChecked(t.db, { slug: tenant, name: tenant });
    }
    const from = { 'x-forwarded-for': ip };
    const registered = await t.post(
      `/t/${tenant}/v2/auth/register`,
      { email, password: STRONG_PASSWORD },
      from,
    );
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const auth = { ...from, ...bearer(registered.body.access_token) };
    const { secret } = await enrolTotp(t, auth, `/t/${tenant}/v2/auth/mfa/totp`);
    const id = (registered.body.user as { id: string }).id;
    return { tenant, email, password: STRONG_PASSWORD, id, secret, step: 0 };
  }

  const isMfaPage = (page: Page) => page.html.includes('name="mfa_token"');
  const verifyForm = (f: ParsedForm) => f.fields.some((x) => x.name === 'action' && x.value === 'verify');

  /** Signs in on the hosted pages with "remember this device" ticked: the browser and its device cookie. */
  async function rememberedBrowser(user: User, agent = new HttpAgent()) {
    const login = expectPage(
      await agent.walk(`${t.base}/t/${user.tenant}/login?return_to=/account`),
      'the sign-in page',
      isLoginPage,
    );
    const mfa = expectPage(
      await agent.submit(login, { email: user.email, password: user.password }),
      'the second step',
      isMfaPage,
    );
    assert.match(mfa.html, /Remember this device for 30 days/);
    const account = expectPage(
      await agent.submit(mfa, { code: nextCode(user), remember_device: 'true' }, { form: verifyForm }),
      'the account page',
    );
    assert.equal(account.url.pathname, `/t/${user.tenant}/account`);
    const line = agent.setCookies.findLast((l) => l.startsWith('hj_device_'));
    assert.ok(line, 'the device cookie is set');
    const [name, value] = line.split(';')[0]!.split('=') as [string, string];
    return { agent, device: { name, value }, setCookie: line };
  }

  /**
   * An API sign-in (password) from this browser: 'skipped' when it signs in at once, 'challenged' when it
   * answers the second step.
   */
  async function apiSignIn(
    user: User,
    options: { device?: Device | null; agent?: string; ip?: string; password?: string } = {},
  ): Promise<'skipped' | 'challenged'> {
    const headers: Record<string, string> = {
      'user-agent': options.agent ?? BROWSER,
      'x-forwarded-for': options.ip ?? '127.0.0.1',
    };
    if (options.device) headers.cookie = `${options.device.name}=${options.device.value}`;
    const answer = await t.post(
      `/t/${user.tenant}/v2/auth/login`,
      { email: user.email, password: options.password ?? user.password },
      headers,
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    if (answer.body.mfa_required === true) return 'challenged';
    assert.equal(typeof answer.body.access_token, 'string');
    return 'skipped';
  }

  /** The server's own cookie, as it would have been issued `days` earlier. */
  async function aged(user: User, device: Device, days: number): Promise<Device> {
    const tenant = await t.app.services.tenants.resolve(user.tenant);
    const opened = devices.open(tenant.id, device.value);
    assert.ok(opened, 'the cookie opens with the master key');
    const shift = days * DAY_MS;
    return {
      name: device.name,
      value: devices.seal(tenant.id, {
        ...opened,
        issuedAt: opened.issuedAt - shift,
        expiresAt: opened.expiresAt - shift,
      }),
    };
  }

  test('"remember this device" on /mfa: later sign-ins in that browser skip the second step, nowhere else', async () => {
    const user = await newUser();
    const { agent, device, setCookie } = await rememberedBrowser(user);
    assert.match(setCookie, /; HttpOnly/i);
    assert.match(setCookie, new RegExp(`; Path=/t/${user.tenant}(;|$)`, 'i'));
    assert.match(setCookie, /; Max-Age=2592000/i, '30 days, the default remember_device_days');

    // The hosted page again (asked to sign in again): the password is enough in this browser.
    const again = expectPage(
      await agent.walk(`${t.base}/t/${user.tenant}/login?return_to=/account`),
      'the sign-in page',
      isLoginPage,
    );
    const landed = expectPage(
      await agent.submit(again, { email: user.email, password: user.password }),
      'the account page',
    );
    assert.ok(!isMfaPage(landed), 'no second step');
    assert.equal(landed.url.pathname, `/t/${user.tenant}/account`);
    // The API too, with this browser's cookie; its session says the password was the only step.
    assert.equal(await apiSignIn(user, { device }), 'skipped');
    assert.equal(await apiSignIn(user, { device: null }), 'challenged', 'another browser: no cookie');

    // The cookie is bound to its user and tenant: under the name of another user's cookie, or of the same
    // address's in another tenant, it is worth nothing.
    for (const other of [await newUser({ tenant: user.tenant }), await newUser({ email: user.email })]) {
      const otherTenant = await t.app.services.tenants.resolve(other.tenant);
      const stolen = { name: deviceCookieName(otherTenant, other.id), value: device.value };
      assert.equal(await apiSignIn(other, { device: stolen }), 'challenged');
    }
  });

  test('a trusted device expires after remember_device_days, or sooner when the tenant lowers it', async () => {
    const user = await newUser();
    const { device } = await rememberedBrowser(user);
    const tenant = await t.app.services.tenants.resolve(user.tenant);
    const sealed = devices.open(tenant.id, device.value)!;
    assert.equal(sealed.expiresAt - sealed.issuedAt, 30 * DAY_MS, 'sealed with its expiry');

    assert.equal(await apiSignIn(user, { device: await aged(user, device, 29.9) }), 'skipped');
    assert.equal(await apiSignIn(user, { device: await aged(user, device, 30) }), 'challenged', 'expired');
    assert.equal(await apiSignIn(user, { device: await aged(user, device, 400) }), 'challenged');

    // Remembered for 7 days from now on: a device remembered 8 days ago is no longer trusted.
    await setPolicy(user.tenant, { remember_device_days: 7 });
    assert.equal(await apiSignIn(user, { device: await aged(user, device, 6.9) }), 'skipped');
    assert.equal(await apiSignIn(user, { device: await aged(user, device, 8) }), 'challenged');
    await setPolicy(user.tenant, { remember_device_days: 0 });
    assert.equal(await apiSignIn(user, { device }), 'challenged', 'not offered at all');
  });

  test('signing out everywhere, changing the password and an MFA reset void trusted devices; one sign-out does not', async () => {
    const user = await newUser();
    const first = await rememberedBrowser(user);
    /** Signs out of the session an API sign-in with the device starts (`all`: of every session). */
    const signOut = async (all: boolean) => {
      const signedIn = await t.post(
        `/t/${user.tenant}/v2/auth/login`,
        { email: user.email, password: user.password },
        { cookie: `${first.device.name}=${first.device.value}`, 'user-agent': BROWSER },
      );
      const body = all ? { all: true } : {};
      const out = await t.post(`/t/${user.tenant}/v2/auth/logout`, body, bearer(signedIn.body.access_token));
      assert.equal(out.status, 204);
    };
    await signOut(false);
    assert.equal(await apiSignIn(user, { device: first.device }), 'skipped', 'one session ended');
    await signOut(true);
    assert.equal(await apiSignIn(user, { device: first.device }), 'challenged', 'signed out everywhere');

    // Remembered again; then the password changes on the account page of that very browser.
    const second = await rememberedBrowser(user, first.agent);
    assert.equal(await apiSignIn(user, { device: second.device }), 'skipped');
    const account = expectPage(
      await second.agent.walk(`${t.base}/t/${user.tenant}/account`),
      'the account page',
    );
    const changed = await second.agent.submit(
      account,
      { current_password: user.password, new_password: NEW_PASSWORD, confirm: NEW_PASSWORD },
      { form: (f) => f.action.pathname.endsWith('/account/password') },
    );
    assert.equal(expectPage(changed, 'the account page').url.pathname, `/t/${user.tenant}/account`);
    user.password = NEW_PASSWORD;
    assert.equal(await apiSignIn(user, { device: second.device }), 'challenged', 'the password changed');

    // Remembered again; then an admin resets the user's MFA, and the user sets an app up again.
    const third = await rememberedBrowser(user, new HttpAgent());
    assert.equal(await apiSignIn(user, { device: third.device }), 'skipped');
    const reset = await t.app.inject({
      method: 'DELETE',
      url: `/v2/admin/tenants/${user.tenant}/users/${user.id}/mfa`,
      headers: admin,
    });
    assert.equal(reset.statusCode, 200, reset.body);
    const signedIn = await t.post(`/t/${user.tenant}/v2/auth/login`, {
      email: user.email,
      password: user.password,
    });
    const { secret } = await enrolTotp(
      t,
      bearer(signedIn.body.access_token),
      `/t/${user.tenant}/v2/auth/mfa/totp`,
    );
    Object.assign(user, { secret, step: 0 });
    assert.equal(await apiSignIn(user, { device: third.device }), 'challenged', 'MFA reset');
  });

  test('new_device: the cookie in another browser is not trusted, unless the rule is off', async () => {
    const user = await newUser();
    const { device } = await rememberedBrowser(user);
    assert.equal(await apiSignIn(user, { device }), 'skipped');
    assert.equal(await apiSignIn(user, { device, agent: 'Another Browser/2.0' }), 'challenged');
    assert.equal(await apiSignIn(user, { device, agent: '' }), 'challenged');
    await setPolicy(user.tenant, { adaptive: { new_device: false } });
    assert.equal(await apiSignIn(user, { device, agent: 'Another Browser/2.0' }), 'skipped');
  });

  test('new_ip_network: a network (/24, /48) none of the last sessions came from, when the rule is on', async () => {
    // Sessions so far: the registration from 203.0.113.10, the hosted sign-in from 127.0.0.1, and an API
    // sign-in with its second step from 2001:db8:5:1::10.
    const user = await newUser({ ip: '203.0.113.10' });
    const { device } = await rememberedBrowser(user);
    const ipv6 = { 'x-forwarded-for': '2001:db8:5:1::10' };
    const first = await t.post(
      `/t/${user.tenant}/v2/auth/login`,
      { email: user.email, password: user.password },
      ipv6,
    );
    const done = await t.post(
      `/t/${user.tenant}/v2/mfa/challenge`,
      { mfa_token: first.body.mfa_token, factor: 'totp', code: nextCode(user) },
      ipv6,
    );
    assert.equal(done.status, 200, JSON.stringify(done.body));

    await setPolicy(user.tenant, { adaptive: { new_ip_network: true } });
    const from = (ip: string) => apiSignIn(user, { device, ip });
    assert.equal(await from('203.0.113.10'), 'skipped');
    assert.equal(await from('203.0.113.254'), 'skipped', 'the same /24');
    assert.equal(await from('::ffff:203.0.113.99'), 'skipped', 'IPv4-mapped IPv6 is IPv4');
    assert.equal(await from('203.0.112.10'), 'challenged', 'the /24 next door');
    assert.equal(await from('127.0.0.200'), 'skipped');
    assert.equal(await from('2001:db8:5:ffff::1'), 'skipped', 'the same /48');
    assert.equal(await from('2001:db8:6:1::10'), 'challenged', 'another /48');
    assert.equal(await from('198.51.100.7'), 'challenged');
    await setPolicy(user.tenant, { adaptive: { new_ip_network: false } });
    assert.equal(await from('198.51.100.7'), 'skipped', 'the rule off (the default)');
  });

  test('repeated_failures: failure_threshold failed sign-ins (password or code) in the last hour, when the rule is on', async () => {
    const user = await newUser();
    const { device } = await rememberedBrowser(user);
    const wrongPassword = () =>
      t.post(`/t/${user.tenant}/v2/auth/login`, { email: user.email, password: 'Not-The-Password-1' });
    assert.equal((await wrongPassword()).status, 401);
    assert.equal((await wrongPassword()).status, 401);
    assert.equal(await apiSignIn(user, { device }), 'skipped', 'two failures: under the threshold (3)');
    // The third failure is a wrong code at the second step (from a browser without the cookie).
    const challenge = await t.post(`/t/${user.tenant}/v2/auth/login`, {
      email: user.email,
      password: user.password,
    });
    const wrong = await t.post(`/t/${user.tenant}/v2/mfa/challenge`, {
      mfa_token: challenge.body.mfa_token,
      factor: 'recovery_code',
      code: 'aaaa-bbbb-cccc',
    });
    assert.equal(wrong.status, 401);
    assert.equal(await apiSignIn(user, { device }), 'challenged', 'three failures');
    await setPolicy(user.tenant, { adaptive: { failure_threshold: 4 } });
    assert.equal(await apiSignIn(user, { device }), 'skipped', 'a threshold of 4');
    await setPolicy(user.tenant, { adaptive: { repeated_failures: false } });
    assert.equal((await wrongPassword()).status, 401);
    assert.equal(await apiSignIn(user, { device }), 'skipped', 'the rule off');
  });
});

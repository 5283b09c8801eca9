// What the Applications screens share: the four kinds of app the wizard offers (each a client type, grant
// types and redirect rules), the kind of an existing client, redirect URI checks that mirror the server's
// (src/clients/validation.ts) so mistakes show before submitting, and the discovery URL of the tenant.
import { Alert, Badge, Button, Code, CopyButton, Group, Stack, Tabs, Text } from '@mantine/core';
import {
  IconAlertTriangle,
  IconApi,
  IconBrowser,
  IconCheck,
  IconCopy,
  IconDeviceMobile,
  IconServer,
} from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import type { ComponentType } from 'react';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { CopyField } from '../../components/CopyField';

export type AppClient =
  paths['/v2/admin/tenants/{tenant}/clients/{client_id}']['get']['responses'][200]['content']['application/json'];

export type AppKind = 'web' | 'spa' | 'native' | 'm2m';

export interface KindInfo {
  label: string;
  /** For badges. */
  short: string;
  summary: string;
  icon: ComponentType<{ size?: number; stroke?: number }>;
  type: 'public' | 'confidential';
  grantTypes: string[];
  /** Redirect URIs asked for (M2M has none). */
  redirects: boolean;
  redirectHint: string;
  redirectPlaceholder: string;
}

export const KINDS: Record<AppKind, KindInfo> = {
  web: {
    short: 'Web app',
    label: 'Web app',
    summary: 'A server-rendered app (Next.js, Express, Rails…) that keeps a client secret on its server.',
    icon: IconServer,
    type: 'confidential',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirects: true,
    redirectHint: 'https:// URLs (http:// only for localhost while developing).',
    redirectPlaceholder: 'https://app.example.com/api/auth/callback/hellojohn',
  },
  spa: {
    short: 'Single-page',
    label: 'Single-page app',
    summary: 'A browser app (React, Vue, Angular) with no secret: authorization code with PKCE.',
    icon: IconBrowser,
    type: 'public',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirects: true,
    redirectHint: 'https:// URLs of your app (http:// only for localhost while developing).',
    redirectPlaceholder: 'https://app.example.com/callback',
  },
  native: {
    short: 'Native',
    label: 'Native / mobile app',
    summary: 'An iOS, Android or desktop app with no secret: PKCE and a custom-scheme or loopback redirect.',
    icon: IconDeviceMobile,
    type: 'public',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirects: true,
    redirectHint:
      'A custom scheme (com.example.app:/callback) or a loopback URL (http://127.0.0.1/callback).',
    redirectPlaceholder: 'com.example.app:/callback',
  },
  m2m: {
    short: 'M2M',
    label: 'Machine-to-machine',
    summary:
      'A backend service or job calling your APIs as itself: client credentials, no user, no redirect.',
    icon: IconApi,
    type: 'confidential',
    grantTypes: ['client_credentials'],
    redirects: false,
    redirectHint: '',
    redirectPlaceholder: '',
  },
};

/** The wizard's kind of an existing client, guessed from its type, grants and redirect URIs. */
export function kindOf(client: Pick<AppClient, 'type' | 'grant_types' | 'redirect_uris'>): AppKind {
  if (!client.grant_types.includes('authorization_code')) return 'm2m';
  if (client.type === 'confidential') return 'web';
  const native = client.redirect_uris.some((uri) => !/^https?:/i.test(uri));
  return native ? 'native' : 'spa';
}

export function KindBadge({ client }: { client: Pick<AppClient, 'type' | 'grant_types' | 'redirect_uris'> }) {
  const kind = kindOf(client);
  const color = { web: 'indigo', spa: 'teal', native: 'grape', m2m: 'orange' }[kind];
  return <Badge color={color}>{KINDS[kind].label}</Badge>;
}

const FORBIDDEN = new Set(['javascript', 'data', 'vbscript', 'file', 'blob', 'about', 'filesystem']);

function loopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(h);
}

/** Why `uri` would be refused as a redirect URI of this kind of client, or null (the server decides). */
export function redirectProblem(uri: string, kind: AppKind): string | null {
  if (/\s/.test(uri)) return 'contains spaces';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  let url: URL;
  try {
    if (!scheme) throw new TypeError('relative');
    url = new URL(uri);
  } catch {
    return 'is not an absolute URL';
  }
  if (uri.includes('#')) return 'must not contain a fragment (#)';
  if (url.username || url.password) return 'must not contain a user name or password';
  if (scheme === 'https') return url.hostname ? null : 'has no host';
  if (scheme === 'http') return loopback(url.hostname) ? null : 'uses http: only localhost may, use https';
  if (FORBIDDEN.has(scheme)) return `uses the ${scheme}: scheme, which is never allowed`;
  if (kind !== 'native') return 'uses a custom scheme: only native apps may';
  return null;
}

/** One URI a line, blank lines dropped. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The first problem of a list of URIs as a field error, or null. */
export function uriListError(text: string, kind: AppKind, required: boolean): string | null {
  const uris = lines(text);
  if (required && uris.length === 0) return 'At least one redirect URI is needed.';
  if (uris.length > 20) return 'At most 20 URIs.';
  for (const uri of uris) {
    const problem = redirectProblem(uri, kind);
    if (problem) return `${uri} ${problem}.`;
  }
  return null;
}

/** The tenant's issuer (GET /v2/admin/tenants/{tenant}). */
export function useIssuer(tenant: string) {
  return useQuery({
    queryKey: ['tenant', tenant],
    queryFn: () => unwrap(api.GET('/v2/admin/tenants/{tenant}', { params: { path: { tenant } } })),
    select: (data) => data.issuer.replace(/\/$/, ''),
    staleTime: 60_000,
  });
}

export const discoveryUrl = (issuer: string) => `${issuer}/.well-known/openid-configuration`;

/** The warning title in the text colour: the yellow one is too pale on its light background. */
export const WARNING_STYLES = { title: { color: 'var(--mantine-color-text)' } };

/** A client secret just issued: shown here once, with the warning that it cannot be shown again. */
export function SecretOnce({ secret }: { secret: string }) {
  return (
    <Alert
      color="yellow"
      variant="light"
      icon={<IconAlertTriangle size={18} />}
      title="Copy the client secret now"
      styles={WARNING_STYLES}
    >
      <Stack gap="xs">
        <Text size="sm">
          It is shown only this once: HelloJohn keeps only a hash of it. If it is lost, rotate the secret and
          update your app.
        </Text>
        <CopyField label="Client secret" value={secret} />
      </Stack>
    </Alert>
  );
}

export function CodeBlock({ code, label }: { code: string; label: string }) {
  return (
    <Stack gap={4}>
      <Group justify="flex-end">
        <CopyButton value={code}>
          {({ copied, copy }) => (
            <Button
              size="compact-xs"
              variant="subtle"
              leftSection={copied ? <IconCheck size={14} /> : <IconCopy size={14} />}
              onClick={copy}
              aria-label={`Copy the ${label} snippet`}
            >
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
      </Group>
      <Code
        block
        style={{ overflowX: 'auto', whiteSpace: 'pre' }}
        tabIndex={0}
        aria-label={`Code for ${label}`}
      >
        {code}
      </Code>
    </Stack>
  );
}

export interface SnippetValues {
  issuer: string;
  clientId: string;
  /** The secret when it was just shown; otherwise a placeholder for the operator's own copy. */
  secret: string | null;
  redirectUri: string;
  postLogoutUri: string;
}

const q = (value: string) => JSON.stringify(value);

function originOf(uri: string): string {
  try {
    return `${new URL(uri).origin}/`;
  } catch {
    return 'https://app.example.com/';
  }
}

/** Ready-to-paste code for the common client libraries of a kind of app, filled with the real values. */
export function snippets(kind: AppKind, v: SnippetValues): { label: string; code: string }[] {
  const secret = v.secret ?? '<your client secret>';
  const redirect = v.redirectUri || 'https://app.example.com/callback';
  const logout = v.postLogoutUri || originOf(redirect);
  switch (kind) {
    case 'web':
      return [
        {
          label: 'Auth.js / NextAuth',
          code: `// .env.local
// AUTH_HELLOJOHN_SECRET=${secret}
// Register ${'<your origin>'}/api/auth/callback/hellojohn as a redirect URI.

// auth.ts
import NextAuth from 'next-auth';

export const { handlers, auth, signIn, signOut } = NextAuth({
  providers: [
    {
      id: 'hellojohn',
      name: 'HelloJohn',
      type: 'oidc',
      issuer: ${q(v.issuer)},
      clientId: ${q(v.clientId)},
      clientSecret: process.env.AUTH_HELLOJOHN_SECRET,
    },
  ],
});`,
        },
        {
          label: 'openid-client (Node)',
          code: `import * as client from 'openid-client';

const config = await client.discovery(
  new URL(${q(v.issuer)}),
  ${q(v.clientId)},
  process.env.HELLOJOHN_CLIENT_SECRET, // ${secret}
);

// Sign-in: keep code_verifier in the user's session, send the browser to url.
const code_verifier = client.randomPKCECodeVerifier();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: ${q(redirect)},
  scope: 'openid profile email',
  code_challenge: await client.calculatePKCECodeChallenge(code_verifier),
  code_challenge_method: 'S256',
});

// Callback (${redirect}):
const tokens = await client.authorizationCodeGrant(config, currentUrl, {
  pkceCodeVerifier: code_verifier,
});
console.log(tokens.claims());`,
        },
      ];
    case 'spa':
      return [
        {
          label: 'react-oidc-context',
          code: `import { AuthProvider, useAuth } from 'react-oidc-context';

const oidc = {
  authority: ${q(v.issuer)},
  client_id: ${q(v.clientId)},
  redirect_uri: ${q(redirect)},
  post_logout_redirect_uri: ${q(logout)},
  scope: 'openid profile email',
  // Drop ?code=…&state=… from the address bar once signed in.
  onSigninCallback: () => window.history.replaceState({}, document.title, window.location.pathname),
};

root.render(
  <AuthProvider {...oidc}>
    <App />
  </AuthProvider>,
);

function App() {
  const auth = useAuth();
  if (auth.isAuthenticated) return <p>Hello {auth.user?.profile.email}</p>;
  return <button onClick={() => void auth.signinRedirect()}>Sign in</button>;
}`,
        },
        {
          label: 'oidc-client-ts',
          code: `import { UserManager } from 'oidc-client-ts';

// Authorization code with PKCE (oidc-client-ts's default): no secret in the browser.
const users = new UserManager({
  authority: ${q(v.issuer)},
  client_id: ${q(v.clientId)},
  redirect_uri: ${q(redirect)},
  post_logout_redirect_uri: ${q(logout)},
  scope: 'openid profile email',
});

await users.signinRedirect();
// On ${redirect}:
const user = await users.signinRedirectCallback();`,
        },
      ];
    case 'native':
      return [
        {
          label: 'AppAuth (iOS)',
          code: `// AppAuth-iOS: PKCE is added for you.
let issuer = URL(string: ${q(v.issuer)})!
OIDAuthorizationService.discoverConfiguration(forIssuer: issuer) { configuration, error in
  guard let configuration else { return }
  let request = OIDAuthorizationRequest(
    configuration: configuration,
    clientId: ${q(v.clientId)},
    scopes: [OIDScopeOpenID, OIDScopeProfile, OIDScopeEmail],
    redirectURL: URL(string: ${q(redirect)})!,
    responseType: OIDResponseTypeCode,
    additionalParameters: nil)
  appDelegate.currentAuthorizationFlow = OIDAuthState.authState(
    byPresenting: request, presenting: self) { authState, error in
      // authState?.lastTokenResponse?.accessToken
  }
}`,
        },
        {
          label: 'AppAuth (Android)',
          code: `// AppAuth-Android: PKCE is added for you.
AuthorizationServiceConfiguration.fetchFromIssuer(
    Uri.parse(${q(v.issuer)})
) { configuration, ex ->
    if (configuration == null) return@fetchFromIssuer
    val request = AuthorizationRequest.Builder(
        configuration,
        ${q(v.clientId)},
        ResponseTypeValues.CODE,
        Uri.parse(${q(redirect)})
    ).setScope("openid profile email").build()
    val service = AuthorizationService(this)
    startActivityForResult(service.getAuthorizationRequestIntent(request), RC_AUTH)
}`,
        },
      ];
    case 'm2m':
      return [
        {
          label: 'curl',
          code: `curl -s ${v.issuer}/oauth2/token \\
  -u '${v.clientId}:${secret}' \\
  -d grant_type=client_credentials \\
  -d resource=https://api.example.com`,
        },
        {
          label: 'openid-client (Node)',
          code: `import * as client from 'openid-client';

const config = await client.discovery(
  new URL(${q(v.issuer)}),
  ${q(v.clientId)},
  process.env.HELLOJOHN_CLIENT_SECRET, // ${secret}
);
// The API must allow this client (Roles & APIs); its identifier is the token's audience.
const tokens = await client.clientCredentialsGrant(config, { resource: 'https://api.example.com' });
console.log(tokens.access_token);`,
        },
      ];
  }
}

export function Snippets({ kind, values }: { kind: AppKind; values: SnippetValues }) {
  const list = snippets(kind, values);
  return (
    // Tab values are indexes: Mantine builds element ids from them, and labels hold spaces and slashes.
    <Tabs defaultValue="0" keepMounted={false}>
      <Tabs.List>
        {list.map((s, i) => (
          <Tabs.Tab key={s.label} value={String(i)}>
            {s.label}
          </Tabs.Tab>
        ))}
      </Tabs.List>
      {list.map((s, i) => (
        <Tabs.Panel key={s.label} value={String(i)} pt="xs">
          <CodeBlock code={s.code} label={s.label} />
        </Tabs.Panel>
      ))}
    </Tabs>
  );
}

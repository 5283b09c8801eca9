// The Settings screen's sections other than branding: each edits one member and saves it on its own.
import {
  Badge,
  Button,
  Checkbox,
  Group,
  NumberInput,
  PasswordInput,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Textarea,
  VisuallyHidden,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ErrorAlert, QueryState } from '../../components/QueryState';
import { Section, compact, member, useSaveSettings, type TenantDetail } from './common';

type Props = { tenant: string; detail: TenantDetail };
const num = (value: unknown) => (typeof value === 'number' ? value : '');
const numOrUndefined = (value: number | string) => (typeof value === 'number' ? value : undefined);

// --- password policy ---------------------------------------------------------------------------------

const RULES = [
  ['require_uppercase', 'Require an uppercase letter', false],
  ['require_lowercase', 'Require a lowercase letter', false],
  ['require_digit', 'Require a digit', false],
  ['require_symbol', 'Require a symbol', false],
  ['reject_common', 'Refuse the 10,000 most common passwords', true],
  ['check_breached', 'Refuse passwords known from breaches (Have I Been Pwned, k-anonymity)', false],
] as const;

export function PasswordPolicySection({ tenant, detail }: Props) {
  const stored = member(detail, 'password_policy');
  const [min, setMin] = useState<number | string>(num(stored.min_length));
  const [max, setMax] = useState<number | string>(num(stored.max_length));
  const [flags, setFlags] = useState<Record<string, boolean>>(
    Object.fromEntries(
      RULES.map(([key, , fallback]) => [key, typeof stored[key] === 'boolean' ? stored[key] : fallback]),
    ),
  );
  const save = useSaveSettings(tenant, 'Password policy');
  return (
    <Section
      id="password-policy"
      title="Password policy"
      description="What a new password must be, at sign-up, change and reset. Empty lengths keep the installation’s defaults."
      onSave={() =>
        save.mutate({
          password_policy: {
            ...compact({ min_length: numOrUndefined(min), max_length: numOrUndefined(max) }),
            ...flags,
          },
        })
      }
      saving={save.isPending}
      error={save.error}
    >
      <SimpleGrid cols={{ base: 1, xs: 2 }} maw={480}>
        <NumberInput
          label="Minimum length"
          placeholder="Default"
          min={1}
          max={1024}
          value={min}
          onChange={setMin}
        />
        <NumberInput
          label="Maximum length"
          placeholder="Default"
          min={1}
          max={1024}
          value={max}
          onChange={setMax}
        />
      </SimpleGrid>
      <Stack gap="xs">
        {RULES.map(([key, label]) => (
          <Checkbox
            key={key}
            label={label}
            checked={flags[key] ?? false}
            onChange={(e) => {
              const checked = e.currentTarget.checked;
              setFlags((f) => ({ ...f, [key]: checked }));
            }}
          />
        ))}
      </Stack>
    </Section>
  );
}

// --- sign-up and sign-in methods -----------------------------------------------------------------------

export function SignUpSection({ tenant, detail }: Props) {
  const [enabled, setEnabled] = useState(detail.effective.sign_up_enabled);
  const save = useSaveSettings(tenant, 'Sign-up');
  return (
    <Section
      id="sign-up"
      title="Sign-up"
      description="Whether people can create their own account (API, hosted page, first social sign-in). Admins can always create users."
      onSave={() => save.mutate({ sign_up: { enabled } })}
      saving={save.isPending}
      error={save.error}
    >
      <Switch
        label="Anyone can create an account"
        checked={enabled}
        onChange={(e) => setEnabled(e.currentTarget.checked)}
      />
    </Section>
  );
}

export function SignInMethodsSection({ tenant, detail }: Props) {
  const queries = useQueryClient();
  const path = { params: { path: { tenant } } };
  const email = useQuery({
    queryKey: ['email-sign-in', tenant],
    queryFn: () => unwrap(api.GET('/v2/admin/tenants/{tenant}/email-sign-in', path)),
  });
  const passkeys = useQuery({
    queryKey: ['passkeys-setting', tenant],
    queryFn: () => unwrap(api.GET('/v2/admin/tenants/{tenant}/passkeys', path)),
  });
  const [password, setPassword] = useState(detail.effective.password_sign_in);
  const [magicLink, setMagicLink] = useState<boolean | null>(null);
  const [emailCode, setEmailCode] = useState<boolean | null>(null);
  const [passkeysOn, setPasskeysOn] = useState<boolean | null>(null);
  const save = useMutation({
    mutationFn: async () => {
      await unwrap(
        api.PATCH('/v2/admin/tenants/{tenant}', { ...path, body: { settings: { sign_in: { password } } } }),
      );
      if (email.data)
        await unwrap(
          api.PUT('/v2/admin/tenants/{tenant}/email-sign-in', {
            ...path,
            body: {
              magic_link: magicLink ?? email.data.magic_link ?? false,
              email_otp: emailCode ?? email.data.email_otp ?? false,
            },
          }),
        );
      if (passkeys.data)
        await unwrap(
          api.PUT('/v2/admin/tenants/{tenant}/passkeys', {
            ...path,
            body: { enabled: passkeysOn ?? passkeys.data.enabled },
          }),
        );
    },
    onSuccess: () => {
      for (const key of ['tenant', 'email-sign-in', 'passkeys-setting'])
        void queries.invalidateQueries({ queryKey: [key, tenant] });
      notifications.show({ color: 'green', message: 'Sign-in methods saved.' });
    },
  });
  return (
    <Section
      id="sign-in-methods"
      title="Sign-in methods"
      description="The ways users sign in on the hosted page and through the API."
      onSave={() => save.mutate()}
      saving={save.isPending}
      error={save.error}
    >
      <Stack gap="sm">
        <Switch
          label="Password"
          description="The email and password form."
          checked={password}
          onChange={(e) => setPassword(e.currentTarget.checked)}
        />
        <QueryState query={email}>
          {(data) => (
            <>
              <Switch
                label="Magic link"
                description="A sign-in link mailed to the user."
                checked={magicLink ?? data.magic_link ?? false}
                onChange={(e) => setMagicLink(e.currentTarget.checked)}
              />
              <Switch
                label="Email code"
                description="A one-time code mailed to the user."
                checked={emailCode ?? data.email_otp ?? false}
                onChange={(e) => setEmailCode(e.currentTarget.checked)}
              />
            </>
          )}
        </QueryState>
        <QueryState query={passkeys}>
          {(data) => (
            <Switch
              label="Passkeys"
              description="Sign in with a device’s passkey; also a second factor."
              checked={passkeysOn ?? data.enabled}
              onChange={(e) => setPasskeysOn(e.currentTarget.checked)}
            />
          )}
        </QueryState>
      </Stack>
      <SocialProviders tenant={tenant} />
    </Section>
  );
}

function SocialProviders({ tenant }: { tenant: string }) {
  const queries = useQueryClient();
  const providers = useQuery({
    queryKey: ['social-providers', tenant],
    queryFn: () =>
      unwrap(api.GET('/v2/admin/tenants/{tenant}/social-providers', { params: { path: { tenant } } })),
  });
  const refresh = () => void queries.invalidateQueries({ queryKey: ['social-providers', tenant] });
  const toggle = useMutation({
    mutationFn: (p: {
      id: string;
      kind: string;
      label: string;
      client_id: string;
      scopes: string[];
      issuer: string | null;
      options: Record<string, string>;
      auto_link: boolean;
      enabled: boolean;
    }) =>
      unwrap(
        api.PUT('/v2/admin/tenants/{tenant}/social-providers/{provider}', {
          params: { path: { tenant, provider: p.id } },
          body: {
            kind: p.kind as never,
            ...(p.kind === 'oidc' ? { label: p.label } : {}),
            client_id: p.client_id,
            scopes: p.scopes,
            ...(p.issuer ? { issuer: p.issuer } : {}),
            options: p.options,
            auto_link: p.auto_link,
            enabled: p.enabled,
          } as never,
        }),
      ),
    onSuccess: refresh,
  });
  return (
    <Stack gap="xs">
      <Text size="sm" fw={500}>
        Social providers
      </Text>
      <QueryState query={providers}>
        {(data) =>
          data.providers.length === 0 ? (
            <Text size="sm" c="dimmed">
              None configured. Add one with PUT /v2/admin/tenants/{tenant}
              /social-providers/&#123;provider&#125; (docs/social.md).
            </Text>
          ) : (
            <div className="hj-table-scroll">
              <Table verticalSpacing="xs" miw={420}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Provider</Table.Th>
                    <Table.Th>Client ID</Table.Th>
                    <Table.Th>Shown</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>Actions</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.providers.map((p) => (
                    <Table.Tr key={p.id}>
                      <Table.Td>
                        {p.label}{' '}
                        <Badge variant="light" size="sm">
                          {p.kind}
                        </Badge>
                      </Table.Td>
                      <Table.Td className="hj-mono">{p.client_id}</Table.Td>
                      <Table.Td>
                        <Switch
                          aria-label={`Show ${p.label} on the sign-in page`}
                          checked={p.enabled}
                          disabled={toggle.isPending}
                          onChange={(e) => toggle.mutate({ ...p, enabled: e.currentTarget.checked })}
                        />
                      </Table.Td>
                      <Table.Td>
                        <ConfirmButton
                          size="xs"
                          title={`Remove ${p.label}?`}
                          message="Its button goes; accounts linked to it stay linked but cannot sign in with it."
                          confirmLabel="Remove"
                          onConfirm={() =>
                            unwrap(
                              api.DELETE('/v2/admin/tenants/{tenant}/social-providers/{provider}', {
                                params: { path: { tenant, provider: p.id } },
                              }),
                            ).then(refresh)
                          }
                        >
                          Remove
                        </ConfirmButton>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </div>
          )
        }
      </QueryState>
      {toggle.isError && <ErrorAlert error={toggle.error} />}
    </Stack>
  );
}

// --- lifetimes --------------------------------------------------------------------------------------------

const LIFETIMES = [
  ['access_token', 'Access token', '60 s to 1 day'],
  ['id_token', 'ID token', '60 s to 1 day'],
  ['refresh_token', 'Refresh token', '60 s to 1 year'],
  ['session', 'Session', '60 s to 1 year'],
  ['session_idle', 'Session idle timeout', 'at most the session'],
] as const;

export function LifetimesSection({ tenant, detail }: Props) {
  const stored = member(detail, 'lifetimes');
  const [values, setValues] = useState<Record<string, number | string>>(
    Object.fromEntries(LIFETIMES.map(([key]) => [key, num(stored[key])])),
  );
  const save = useSaveSettings(tenant, 'Lifetimes');
  const body = compact(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, numOrUndefined(v)])));
  return (
    <Section
      id="lifetimes"
      title="Lifetimes"
      description="How long tokens and sessions live, in seconds. Empty: the installation’s default."
      onSave={() => save.mutate({ lifetimes: Object.keys(body).length > 0 ? body : null })}
      saving={save.isPending}
      error={save.error}
    >
      <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }}>
        {LIFETIMES.map(([key, label, range]) => (
          <NumberInput
            key={key}
            label={`${label} (seconds)`}
            description={range}
            placeholder="Default"
            min={60}
            allowDecimal={false}
            value={values[key]}
            onChange={(v) => setValues((all) => ({ ...all, [key]: v }))}
          />
        ))}
      </SimpleGrid>
    </Section>
  );
}

// --- SMTP -------------------------------------------------------------------------------------------------

export function SmtpSection({ tenant, detail }: Props) {
  const stored = member(detail, 'smtp');
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const [host, setHost] = useState(str(stored.host));
  const [port, setPort] = useState<number | string>(num(stored.port) || 587);
  const [secure, setSecure] = useState(stored.secure === true);
  const [user, setUser] = useState(str(stored.user));
  const [password, setPassword] = useState('');
  const [from, setFrom] = useState(str(stored.from));
  const [to, setTo] = useState('');
  const save = useSaveSettings(tenant, 'SMTP');
  const test = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v2/admin/tenants/{tenant}/smtp/test', { params: { path: { tenant } }, body: { to } }),
      ),
    onSuccess: (sent) =>
      notifications.show({ color: 'green', message: `A test mail was sent to ${sent.to}.` }),
  });
  const configured = typeof stored.host === 'string';
  return (
    <Section
      id="smtp"
      title="SMTP"
      saveLabel="Save SMTP"
      description="The tenant’s own mail server for all its mail (verification, reset, sign-in links). Without one, the installation’s is used. Only a full admin key may change it."
      onSave={() =>
        save.mutate({
          smtp: {
            host: host.trim(),
            port: typeof port === 'number' ? port : Number(port),
            secure,
            ...(user ? { user } : {}),
            ...(user && password ? { password } : {}),
            from: from.trim(),
          },
        })
      }
      saving={save.isPending}
      error={save.error}
      extra={
        configured && (
          <Button variant="default" onClick={() => save.mutate({ smtp: null })} disabled={save.isPending}>
            Use the installation’s server
          </Button>
        )
      }
    >
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput
          label="Host"
          required
          placeholder="smtp.example.com"
          value={host}
          onChange={(e) => setHost(e.currentTarget.value)}
        />
        <NumberInput
          label="Port"
          required
          min={1}
          max={65535}
          allowDecimal={false}
          value={port}
          onChange={setPort}
        />
        <TextInput
          label="User"
          description="Empty: the server takes mail without a login."
          value={user}
          autoComplete="off"
          onChange={(e) => setUser(e.currentTarget.value)}
        />
        <PasswordInput
          label="Password"
          description={stored.password_set ? 'Stored; leave empty to keep it.' : 'Needs a user.'}
          value={password}
          autoComplete="new-password"
          onChange={(e) => setPassword(e.currentTarget.value)}
        />
        <TextInput
          label="From"
          required
          description="An address, or Name <address>."
          placeholder="Acme <no-reply@acme.example>"
          value={from}
          onChange={(e) => setFrom(e.currentTarget.value)}
        />
      </SimpleGrid>
      <Switch
        label="TLS from the start (port 465)"
        checked={secure}
        onChange={(e) => setSecure(e.currentTarget.checked)}
      />
      {configured && (
        <Stack gap="xs" pt="xs">
          <Group align="end" gap="sm" wrap="wrap">
            <TextInput
              label="Send a test mail to"
              type="email"
              placeholder="you@example.com"
              value={to}
              onChange={(e) => setTo(e.currentTarget.value)}
              style={{ flex: '1 1 240px' }}
            />
            <Button variant="light" loading={test.isPending} disabled={!to} onClick={() => test.mutate()}>
              Send test mail
            </Button>
          </Group>
          <Text size="xs" c="dimmed">
            Sent through the saved server at once, so its answer is shown here.
          </Text>
          {test.isError && <ErrorAlert error={test.error} />}
        </Stack>
      )}
    </Section>
  );
}

// --- CORS -------------------------------------------------------------------------------------------------

export function CorsSection({ tenant, detail }: Props) {
  const stored = member(detail, 'cors');
  const list = Array.isArray(stored.allowed_origins) ? (stored.allowed_origins as string[]) : [];
  const [text, setText] = useState(list.join('\n'));
  const save = useSaveSettings(tenant, 'CORS origins');
  const origins = text
    .split(/\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
  return (
    <Section
      id="cors"
      title="CORS origins"
      saveLabel="Save CORS origins"
      description="Web apps at these origins may call this tenant’s API from the browser (on top of CORS_ORIGINS). One per line: https://app.example.com; http: only for localhost."
      onSave={() => save.mutate({ cors: origins.length > 0 ? { allowed_origins: origins } : null })}
      saving={save.isPending}
      error={save.error}
    >
      <Textarea
        label="Allowed origins"
        autosize
        minRows={3}
        classNames={{ input: 'hj-mono' }}
        placeholder="https://app.example.com"
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
      />
    </Section>
  );
}

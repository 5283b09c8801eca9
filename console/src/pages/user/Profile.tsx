// The profile: the name, the standard OIDC claims, the address, and the two metadata objects as JSON.
// Only what changed is sent (PATCH); the metadata is merged by the API one level deep, so a member the
// operator deleted in the editor is sent as null (which removes it).
import {
  Button,
  Card,
  Divider,
  Group,
  JsonInput,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { ErrorAlert } from '../../components/QueryState';
import { userKey, type UserRecord, type UserRef } from './common';

type Patch = NonNullable<
  paths['/v2/admin/tenants/{tenant}/users/{id}']['patch']['requestBody']
>['content']['application/json'];

const CLAIMS = [
  { key: 'name', label: 'Name' },
  { key: 'given_name', label: 'Given name' },
  { key: 'family_name', label: 'Family name' },
  { key: 'middle_name', label: 'Middle name' },
  { key: 'nickname', label: 'Nickname' },
  { key: 'preferred_username', label: 'Preferred username' },
  { key: 'picture', label: 'Picture URL', placeholder: 'https://…' },
  { key: 'profile', label: 'Profile page URL', placeholder: 'https://…' },
  { key: 'website', label: 'Website', placeholder: 'https://…' },
  { key: 'gender', label: 'Gender' },
  { key: 'birthdate', label: 'Birthdate', placeholder: 'YYYY-MM-DD or YYYY' },
  { key: 'zoneinfo', label: 'Time zone', placeholder: 'Europe/Paris' },
  { key: 'locale', label: 'Locale', placeholder: 'fr-CA' },
] as const;
type ClaimKey = (typeof CLAIMS)[number]['key'];

const ADDRESS = [
  { key: 'street_address', label: 'Street address' },
  { key: 'locality', label: 'City' },
  { key: 'region', label: 'Region' },
  { key: 'postal_code', label: 'Postal code' },
  { key: 'country', label: 'Country' },
] as const;
type AddressKey = (typeof ADDRESS)[number]['key'];

type Metadata = Record<string, unknown>;

function parseObject(text: string): Metadata | string {
  if (!text.trim()) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return 'Must be a JSON object, like {"plan": "pro"}.';
    return value as Metadata;
  } catch {
    return 'Not valid JSON.';
  }
}

/** The members to send so that a merge (one level deep, null removes) makes `before` into `after`. */
function mergePatch(before: Metadata, after: Metadata): Metadata | undefined {
  const patch: Metadata = {};
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
  for (const [key, value] of Object.entries(after))
    if (JSON.stringify(before[key]) !== JSON.stringify(value)) patch[key] = value;
  return Object.keys(patch).length ? patch : undefined;
}

const pretty = (value: Metadata) => (Object.keys(value).length ? JSON.stringify(value, null, 2) : '');

export function Profile({ user, refOf }: { user: UserRecord; refOf: UserRef }) {
  // Re-keyed on every save so the form starts again from what the API stored.
  return <ProfileForm key={user.updated_at} user={user} refOf={refOf} />;
}

function ProfileForm({ user, refOf }: { user: UserRecord; refOf: UserRef }) {
  const queries = useQueryClient();
  const initial = useMemo(() => {
    const claims = {} as Record<ClaimKey, string>;
    for (const { key } of CLAIMS) claims[key] = user[key] ?? '';
    const address = {} as Record<AddressKey, string>;
    for (const { key } of ADDRESS)
      address[key] = (user.address as Partial<Record<AddressKey, string>> | null | undefined)?.[key] ?? '';
    return {
      claims,
      address,
      email: user.email,
      emailVerified: user.email_verified,
      phone: user.phone_number ?? '',
      phoneVerified: user.phone_number_verified ?? false,
      app: pretty(user.app_metadata),
      userMeta: pretty(user.user_metadata),
    };
  }, [user]);
  const [form, setForm] = useState(initial);
  const appParsed = parseObject(form.app);
  const userParsed = parseObject(form.userMeta);

  const patch = useMemo((): Patch => {
    const body: Patch = {};
    for (const { key } of CLAIMS)
      if (form.claims[key].trim() !== initial.claims[key]) body[key] = form.claims[key].trim() || null;
    if (form.email.trim() !== initial.email) body.email = form.email.trim();
    if (form.email.trim() !== initial.email || form.emailVerified !== initial.emailVerified)
      body.email_verified = form.emailVerified;
    if (form.phone.trim() !== initial.phone) body.phone_number = form.phone.trim() || null;
    if (form.phone.trim() !== initial.phone || form.phoneVerified !== initial.phoneVerified)
      body.phone_number_verified = form.phoneVerified;
    if (ADDRESS.some(({ key }) => form.address[key].trim() !== initial.address[key])) {
      const address: Record<string, string> = {};
      for (const { key } of ADDRESS) if (form.address[key].trim()) address[key] = form.address[key].trim();
      body.address = Object.keys(address).length ? address : null;
    }
    if (typeof appParsed === 'object') {
      const merged = mergePatch(user.app_metadata, appParsed);
      if (merged) body.app_metadata = merged;
    }
    if (typeof userParsed === 'object') {
      const merged = mergePatch(user.user_metadata, userParsed);
      if (merged) body.user_metadata = merged;
    }
    return body;
  }, [form, initial, appParsed, userParsed, user]);

  const invalid = typeof appParsed === 'string' || typeof userParsed === 'string';
  const dirty = Object.keys(patch).length > 0;
  const save = useMutation({
    mutationFn: () =>
      unwrap(api.PATCH('/v2/admin/tenants/{tenant}/users/{id}', { params: { path: refOf }, body: patch })),
    onSuccess: (saved) => {
      queries.setQueryData(userKey(refOf), saved);
      void queries.invalidateQueries({ queryKey: ['users', refOf.tenant] });
      notifications.show({ color: 'green', message: 'Profile saved.' });
    },
  });
  const setClaim = (key: ClaimKey, value: string) =>
    setForm((f) => ({ ...f, claims: { ...f.claims, [key]: value } }));
  const setAddress = (key: AddressKey, value: string) =>
    setForm((f) => ({ ...f, address: { ...f.address, [key]: value } }));

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (!invalid && dirty) save.mutate();
      }}
    >
      <Stack gap="lg">
        <Card withBorder padding="lg">
          <Title order={2} size="h4" mb="md">
            Email and phone
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
            <Stack gap="xs">
              <TextInput
                label="Email"
                type="email"
                required
                value={form.email}
                onChange={(e) => setForm({ ...form, email: e.currentTarget.value })}
                description={
                  form.email.trim() !== initial.email && !form.emailVerified
                    ? 'A verification link will be mailed to the new address.'
                    : undefined
                }
              />
              <Switch
                label="Email verified"
                checked={form.emailVerified}
                onChange={(e) => setForm({ ...form, emailVerified: e.currentTarget.checked })}
              />
            </Stack>
            <Stack gap="xs">
              <TextInput
                label="Phone number"
                placeholder="+14155550123"
                value={form.phone}
                onChange={(e) => setForm({ ...form, phone: e.currentTarget.value })}
                autoComplete="off"
              />
              <Switch
                label="Phone number verified"
                checked={form.phoneVerified}
                onChange={(e) => setForm({ ...form, phoneVerified: e.currentTarget.checked })}
              />
            </Stack>
          </SimpleGrid>
        </Card>

        <Card withBorder padding="lg">
          <Title order={2} size="h4">
            Profile claims
          </Title>
          <Text size="sm" c="dimmed" mb="md">
            The standard OpenID Connect claims apps receive with the profile scope. Empty fields are not sent.
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md">
            {CLAIMS.map(({ key, label, ...rest }) => (
              <TextInput
                key={key}
                label={label}
                placeholder={'placeholder' in rest ? rest.placeholder : undefined}
                value={form.claims[key]}
                onChange={(e) => setClaim(key, e.currentTarget.value)}
                autoComplete="off"
              />
            ))}
          </SimpleGrid>
          <Divider my="lg" label="Address" labelPosition="left" />
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md">
            {ADDRESS.map(({ key, label }) => (
              <TextInput
                key={key}
                label={label}
                value={form.address[key]}
                onChange={(e) => setAddress(key, e.currentTarget.value)}
                autoComplete="off"
              />
            ))}
          </SimpleGrid>
        </Card>

        <Card withBorder padding="lg">
          <Title order={2} size="h4" mb="md">
            Metadata
          </Title>
          <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
            <JsonInput
              label="app_metadata"
              description="Written by admins only: plan, ids in your systems. The user cannot change it."
              placeholder='{"plan": "pro"}'
              value={form.app}
              onChange={(app) => setForm({ ...form, app })}
              error={typeof appParsed === 'string' ? appParsed : undefined}
              formatOnBlur
              autosize
              minRows={5}
              maxRows={16}
              classNames={{ input: 'hj-mono' }}
            />
            <JsonInput
              label="user_metadata"
              description="The user’s own preferences, which they can edit themselves."
              placeholder='{"theme": "dark"}'
              value={form.userMeta}
              onChange={(userMeta) => setForm({ ...form, userMeta })}
              error={typeof userParsed === 'string' ? userParsed : undefined}
              formatOnBlur
              autosize
              minRows={5}
              maxRows={16}
              classNames={{ input: 'hj-mono' }}
            />
          </SimpleGrid>
        </Card>

        {save.isError && <ErrorAlert error={save.error} />}
        <Group justify="flex-end" gap="sm">
          <Button
            variant="default"
            disabled={!dirty && !invalid}
            onClick={() => {
              setForm(initial);
              save.reset();
            }}
          >
            Discard changes
          </Button>
          <Button type="submit" loading={save.isPending} disabled={invalid || !dirty}>
            Save profile
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

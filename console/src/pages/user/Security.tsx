// How the user proves who they are: second factors (read from the user's export, the admin API's only
// view of them; reset all at once), passkeys (each removable) and linked identities (each unlinkable,
// except the last way to sign in, which the API refuses).
import { Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { api, unwrap } from '../../api/client';
import { ConfirmButton } from '../../components/ConfirmButton';
import { QueryState } from '../../components/QueryState';
import { formatDate } from '../../format';
import { Empty, TableScroll, type UserRef } from './common';

interface MfaPart {
  totp?: { id: string; confirmed_at: string | null; created_at: string; last_used_at: string | null }[];
  code_factors?: {
    id: string;
    channel: string;
    phone_number: string | null;
    confirmed_at: string | null;
    last_used_at: string | null;
  }[];
  recovery_codes?: { total: number; unused: number };
}

/** The MFA module's part of the export (untyped in the API's schema: each module says what it exports). */
function mfaPart(value: unknown): MfaPart | null {
  return typeof value === 'object' && value !== null ? value : null;
}

function Section({
  title,
  description,
  action,
  children,
}: {
  title: string;
  description: string;
  action?: ReactNode;
  children: ReactNode;
}) {
  return (
    <Card withBorder padding="lg">
      <Group justify="space-between" align="start" mb="md" gap="sm">
        <Stack gap={2}>
          <Title order={2} size="h4">
            {title}
          </Title>
          <Text size="sm" c="dimmed">
            {description}
          </Text>
        </Stack>
        {action}
      </Group>
      {children}
    </Card>
  );
}

export function Security({ refOf }: { refOf: UserRef }) {
  return (
    <Stack gap="lg">
      <Mfa refOf={refOf} />
      <Passkeys refOf={refOf} />
      <Identities refOf={refOf} />
    </Stack>
  );
}

function Mfa({ refOf }: { refOf: UserRef }) {
  const queries = useQueryClient();
  const key = ['user-mfa', refOf.tenant, refOf.id];
  const factors = useQuery({
    queryKey: key,
    queryFn: async () => {
      const data = await unwrap(
        api.GET('/v2/admin/tenants/{tenant}/users/{id}/export', { params: { path: refOf } }),
      );
      return mfaPart(data.modules.mfa);
    },
  });
  return (
    <Section
      title="Multi-factor authentication"
      description="Second factors the user set up. Resetting removes them all; where the tenant requires MFA, the next sign-in sets one up again."
      action={
        <ConfirmButton
          title="Reset MFA?"
          message="Every second factor and recovery code of the user is removed and their trusted devices are forgotten."
          confirmLabel="Reset MFA"
          onConfirm={async () => {
            const done = await unwrap(
              api.DELETE('/v2/admin/tenants/{tenant}/users/{id}/mfa', { params: { path: refOf } }),
            );
            notifications.show({
              color: 'green',
              message: done.removed.length
                ? `Removed: ${done.removed.join(', ')}.`
                : 'There was nothing to remove.',
            });
            await queries.invalidateQueries({ queryKey: key });
          }}
        >
          Reset MFA
        </ConfirmButton>
      }
    >
      <QueryState query={factors}>
        {(mfa) => {
          const rows: { kind: string; detail: string; confirmed: string | null; used: string | null }[] = [
            ...(mfa?.totp ?? []).map((f) => ({
              kind: 'Authenticator app',
              detail: 'TOTP',
              confirmed: f.confirmed_at,
              used: f.last_used_at,
            })),
            ...(mfa?.code_factors ?? []).map((f) => ({
              kind: f.channel === 'sms' ? 'Text message' : f.channel === 'email' ? 'Email code' : f.channel,
              detail: f.phone_number ?? '',
              confirmed: f.confirmed_at,
              used: f.last_used_at,
            })),
          ];
          const recovery = mfa?.recovery_codes;
          if (rows.length === 0 && !recovery?.total)
            return (
              <Empty title="No second factor">
                An authenticator app, text-message or email codes, and recovery codes appear here once the
                user sets them up from their account page or a sign-in that asks for MFA.
              </Empty>
            );
          return (
            <Stack gap="sm">
              <TableScroll label="Second factors">
                <Table verticalSpacing="sm" miw={520} aria-label="Second factors">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Factor</Table.Th>
                      <Table.Th>Status</Table.Th>
                      <Table.Th>Last used</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {rows.map((row, i) => (
                      <Table.Tr key={i}>
                        <Table.Td>
                          <Text size="sm">{row.kind}</Text>
                          {row.detail && (
                            <Text size="xs" c="dimmed">
                              {row.detail}
                            </Text>
                          )}
                        </Table.Td>
                        <Table.Td>
                          {row.confirmed ? (
                            <>
                              <Badge color="green">Confirmed</Badge>
                              <Text size="xs" c="dimmed" mt={2}>
                                {formatDate(row.confirmed)}
                              </Text>
                            </>
                          ) : (
                            <Badge color="yellow">Not confirmed</Badge>
                          )}
                        </Table.Td>
                        <Table.Td>{row.used ? formatDate(row.used) : 'Never'}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </TableScroll>
              {recovery && recovery.total > 0 && (
                <Text size="sm">
                  Recovery codes: {recovery.unused} of {recovery.total} unused.
                </Text>
              )}
            </Stack>
          );
        }}
      </QueryState>
    </Section>
  );
}

function Passkeys({ refOf }: { refOf: UserRef }) {
  const queries = useQueryClient();
  const key = ['user-passkeys', refOf.tenant, refOf.id];
  const passkeys = useQuery({
    queryKey: key,
    queryFn: () =>
      unwrap(api.GET('/v2/admin/tenants/{tenant}/users/{id}/passkeys', { params: { path: refOf } })),
  });
  return (
    <Section
      title="Passkeys"
      description="Devices and password managers the user signs in with, without a password."
    >
      <QueryState query={passkeys}>
        {({ passkeys: list }) =>
          list.length === 0 ? (
            <Empty title="No passkeys">
              A passkey appears here when the user adds one from their account page or at sign-in.
            </Empty>
          ) : (
            <TableScroll label="Passkeys">
              <Table verticalSpacing="sm" miw={560} aria-label="Passkeys">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Added</Table.Th>
                    <Table.Th>Last used</Table.Th>
                    <Table.Th>
                      <span className="hj-sr-only">Actions</span>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((p) => (
                    <Table.Tr key={p.id}>
                      <Table.Td>
                        <Group gap={6}>
                          <Text size="sm">{p.name}</Text>
                          {p.backup_eligible && <Badge color="indigo">Synced</Badge>}
                        </Group>
                      </Table.Td>
                      <Table.Td>{formatDate(p.created_at)}</Table.Td>
                      <Table.Td>{p.last_used_at ? formatDate(p.last_used_at) : 'Never'}</Table.Td>
                      <Table.Td ta="right">
                        <ConfirmButton
                          size="xs"
                          title={`Remove the passkey “${p.name}”?`}
                          message="The user can no longer sign in with it; they can add it again from their account."
                          confirmLabel="Remove passkey"
                          onConfirm={async () => {
                            await unwrap(
                              api.DELETE('/v2/admin/tenants/{tenant}/users/{id}/passkeys/{passkey_id}', {
                                params: { path: { ...refOf, passkey_id: p.id } },
                              }),
                            );
                            notifications.show({ color: 'green', message: 'Passkey removed.' });
                            await queries.invalidateQueries({ queryKey: key });
                          }}
                        >
                          Remove
                        </ConfirmButton>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </TableScroll>
          )
        }
      </QueryState>
    </Section>
  );
}

function Identities({ refOf }: { refOf: UserRef }) {
  const queries = useQueryClient();
  const key = ['user-identities', refOf.tenant, refOf.id];
  const identities = useQuery({
    queryKey: key,
    queryFn: () =>
      unwrap(api.GET('/v2/admin/tenants/{tenant}/users/{id}/identities', { params: { path: refOf } })),
  });
  return (
    <Section
      title="Sign-in methods"
      description="The password and the social accounts linked to this user. The last way to sign in cannot be unlinked."
    >
      <QueryState query={identities}>
        {({ identities: list }) =>
          list.length === 0 ? (
            <Empty title="No sign-in methods">
              A password or a linked social account (Google, GitHub…) appears here; this user has neither, so
              they sign in by email link or passkey.
            </Empty>
          ) : (
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
              {list.map((identity) => (
                <Card key={`${identity.method}:${identity.id}`} withBorder padding="md">
                  <Group justify="space-between" wrap="nowrap" align="start">
                    <Stack gap={2} miw={0}>
                      <Text fw={600} size="sm" tt="capitalize">
                        {identity.method}
                      </Text>
                      {identity.label.toLowerCase() !== identity.method.toLowerCase() && (
                        <Text size="sm" className="hj-break">
                          {identity.label}
                        </Text>
                      )}
                      <Text size="xs" c="dimmed">
                        Linked {formatDate(identity.created_at)} · last used{' '}
                        {identity.last_used_at ? formatDate(identity.last_used_at) : 'never'}
                      </Text>
                    </Stack>
                    {identity.method !== 'password' && (
                      <ConfirmButton
                        size="xs"
                        title={`Unlink ${identity.method}?`}
                        message={`The user can no longer sign in with the ${identity.method} account ${identity.label}.`}
                        confirmLabel="Unlink"
                        onConfirm={async () => {
                          await unwrap(
                            api.DELETE('/v2/admin/tenants/{tenant}/users/{id}/identities/{provider}', {
                              params: { path: { ...refOf, provider: identity.method } },
                            }),
                          );
                          notifications.show({ color: 'green', message: `${identity.method} unlinked.` });
                          await queries.invalidateQueries({ queryKey: key });
                        }}
                      >
                        Unlink
                      </ConfirmButton>
                    )}
                  </Group>
                </Card>
              ))}
            </SimpleGrid>
          )
        }
      </QueryState>
    </Section>
  );
}

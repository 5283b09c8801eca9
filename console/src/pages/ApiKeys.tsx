// API keys of the installation: who holds each (an admin), what it may do (everything, read only, or one
// tenant), when it expires and was last used; a new key is shown once; revoking stops it at once.
import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Modal,
  Paper,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconKey, IconPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api/client';
import { ConfirmButton } from '../components/ConfirmButton';
import { CopyField } from '../components/CopyField';
import { FormActions } from '../components/FormActions';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, QueryState } from '../components/QueryState';
import { formatDate } from '../format';
import { useMe } from '../session';
import { WARNING_STYLES } from './applications/kinds';

type Scope = 'admin' | 'read_only' | 'tenant';

const SCOPES: Record<Scope, { label: string; color: string; help: string }> = {
  admin: { label: 'Admin', color: 'red', help: 'Everything, in every tenant.' },
  read_only: { label: 'Read only', color: 'blue', help: 'Reads (GET) in every tenant, no changes.' },
  tenant: { label: 'Tenant', color: 'teal', help: 'Everything in one tenant, nothing elsewhere.' },
};

const EXPIRIES = [
  { value: '', label: 'Never' },
  { value: String(86_400), label: '1 day' },
  { value: String(7 * 86_400), label: '7 days' },
  { value: String(30 * 86_400), label: '30 days' },
  { value: String(90 * 86_400), label: '90 days' },
  { value: String(365 * 86_400), label: '1 year' },
];

export default function ApiKeys() {
  const me = useMe();
  const queries = useQueryClient();
  // The admin API answers every live key at once (an installation has a handful): no cursor to follow.
  const keys = useQuery({
    queryKey: ['api-keys'],
    queryFn: () => unwrap(api.GET('/v2/admin/api-keys')),
  });
  const revoke = async (id: string) => {
    await unwrap(api.DELETE('/v2/admin/api-keys/{id}', { params: { path: { id } } }));
    notifications.show({ color: 'green', message: 'The key was revoked.' });
    await queries.invalidateQueries({ queryKey: ['api-keys'] });
  };
  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys for scripts and services that call the admin API. Each belongs to the admin who made it."
        actions={<NewKey />}
      />
      <QueryState query={keys}>
        {({ api_keys: list }) =>
          list.length === 0 ? (
            <Paper withBorder p="xl" radius="md">
              <Text c="dimmed" ta="center" size="sm">
                No API keys yet.
              </Text>
            </Paper>
          ) : (
            <div className="hj-table-scroll">
              <Table highlightOnHover verticalSpacing="sm" miw={900}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Key</Table.Th>
                    <Table.Th>Scope</Table.Th>
                    <Table.Th>Admin</Table.Th>
                    <Table.Th>Expires</Table.Th>
                    <Table.Th>Last used</Table.Th>
                    <Table.Th aria-label="Actions" />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((key) => {
                    const expired = key.expires_at !== null && new Date(key.expires_at) < new Date();
                    const current = key.id === me.data?.token_id;
                    return (
                      <Table.Tr key={key.id} style={{ whiteSpace: 'nowrap' }}>
                        <Table.Td>
                          <Group gap={6} wrap="nowrap">
                            <Text size="sm" fw={500}>
                              {key.name}
                            </Text>
                            {current && (
                              <Badge size="sm" variant="outline" style={{ flexShrink: 0 }}>
                                This session
                              </Badge>
                            )}
                          </Group>
                        </Table.Td>
                        <Table.Td>
                          <Text span size="sm" ff="monospace">
                            {key.hint ? `${key.hint}…` : '—'}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Group gap={4} wrap="nowrap">
                            <Badge color={SCOPES[key.scope].color} style={{ flexShrink: 0 }}>
                              {SCOPES[key.scope].label}
                            </Badge>
                            {key.tenant && (
                              <Text span size="sm" ff="monospace">
                                {key.tenant}
                              </Text>
                            )}
                          </Group>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm">{key.admin_email}</Text>
                        </Table.Td>
                        <Table.Td>
                          {expired ? (
                            <Badge color="gray">Expired</Badge>
                          ) : (
                            <Text size="sm">{key.expires_at ? formatDate(key.expires_at) : 'Never'}</Text>
                          )}
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm">{key.last_used_at ? formatDate(key.last_used_at) : 'Never'}</Text>
                        </Table.Td>
                        <Table.Td ta="right">
                          <ConfirmButton
                            size="xs"
                            title={`Revoke ${key.name}?`}
                            message={
                              current
                                ? 'This is the key this console is using: you will be signed out.'
                                : 'Anything using this key gets 401 from its next call. This cannot be undone.'
                            }
                            confirmLabel="Revoke key"
                            onConfirm={() => revoke(key.id)}
                            aria-label={`Revoke ${key.name}`}
                          >
                            Revoke
                          </ConfirmButton>
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </div>
          )
        }
      </QueryState>
    </>
  );
}

function NewKey() {
  const [opened, { open, close }] = useDisclosure(false);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Scope>('read_only');
  const [tenant, setTenant] = useState<string | null>(null);
  const [expiry, setExpiry] = useState<string>(String(90 * 86_400));
  const queries = useQueryClient();
  const tenants = useQuery({
    queryKey: ['tenants'],
    queryFn: () => unwrap(api.GET('/v2/admin/tenants')),
    enabled: opened && scope === 'tenant',
  });
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v2/admin/api-keys', {
          body: {
            name: name.trim(),
            scope,
            ...(scope === 'tenant' && tenant ? { tenant } : {}),
            ...(expiry ? { expires_in: Number(expiry) } : {}),
          },
        }),
      ),
    onSuccess: () => void queries.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  const dismiss = () => {
    close();
    // The key leaves memory with the dialog: it is never shown again.
    create.reset();
    setName('');
    setTenant(null);
  };
  return (
    <>
      <Button leftSection={<IconPlus size={16} />} onClick={open}>
        Create API key
      </Button>
      <Modal
        closeButtonProps={{ 'aria-label': 'Close' }}
        opened={opened}
        onClose={dismiss}
        title={create.data ? 'Your new API key' : 'Create an API key'}
        centered
        size="lg"
        closeOnClickOutside={!create.data}
      >
        {create.data ? (
          <Stack>
            <Alert
              color="yellow"
              variant="light"
              icon={<IconAlertTriangle size={18} />}
              title="Copy the key now"
              styles={WARNING_STYLES}
            >
              It is shown only this once. Store it in your secret manager; if it is lost, revoke it and create
              another.
            </Alert>
            <CopyField label="API key" value={create.data.key} />
            <Text size="sm" c="dimmed">
              Send it as <Code>Authorization: Bearer &lt;key&gt;</Code>.{' '}
              {create.data.expires_at
                ? `It expires ${formatDate(create.data.expires_at)}.`
                : 'It does not expire.'}
            </Text>
            <Group justify="flex-end">
              <Button onClick={dismiss}>Done</Button>
            </Group>
          </Stack>
        ) : (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              create.mutate();
            }}
          >
            <Stack>
              <TextInput
                label="Name"
                description="What uses it, to recognise it in this list."
                placeholder="Terraform, CI deploys"
                required
                maxLength={100}
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
                data-autofocus
              />
              <Stack gap={4}>
                <Text size="sm" fw={500} id="key-scope-label">
                  Scope
                </Text>
                <SegmentedControl
                  aria-labelledby="key-scope-label"
                  value={scope}
                  onChange={(value) => setScope(value)}
                  data={(Object.keys(SCOPES) as Scope[]).map((s) => ({
                    value: s,
                    label: s === 'tenant' ? 'One tenant' : SCOPES[s].label,
                  }))}
                  fullWidth
                />
                <Text size="xs" c="dimmed">
                  {SCOPES[scope].help}
                </Text>
              </Stack>
              {scope === 'tenant' && (
                <Select
                  label="Tenant"
                  required
                  searchable
                  data={(tenants.data?.tenants ?? []).map((t) => ({
                    value: t.slug,
                    label: `${t.name} (${t.slug})`,
                  }))}
                  value={tenant}
                  onChange={setTenant}
                  placeholder={tenants.isPending ? 'Loading tenants…' : 'Pick a tenant'}
                  error={tenants.isError ? tenants.error.message : undefined}
                />
              )}
              <Select
                label="Expires after"
                data={EXPIRIES}
                value={expiry}
                onChange={(value) => setExpiry(value ?? '')}
                allowDeselect={false}
              />
              {create.isError && <ErrorAlert error={create.error} />}
              <FormActions
                onCancel={dismiss}
                pending={create.isPending}
                disabled={!name.trim() || (scope === 'tenant' && !tenant)}
                icon={<IconKey size={16} />}
              >
                Create key
              </FormActions>
            </Stack>
          </form>
        )}
      </Modal>
    </>
  );
}

// Roles & APIs: the tenant's roles (each a set of API permissions; users hold roles, and the roles and
// permissions go into access tokens for the API asked for) and its API resources (an identifier, the
// permissions it defines, and the clients allowed to ask tokens for it).
import {
  Accordion,
  ActionIcon,
  Badge,
  Button,
  Code,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  Paper,
  Select,
  Stack,
  Table,
  Tabs,
  TagsInput,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconApi, IconPlus, IconUserShield, IconX } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { ConfirmButton } from '../components/ConfirmButton';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, QueryState } from '../components/QueryState';
import { useTenant } from '../Shell';
import { FormActions } from '../components/FormActions';

type Role =
  paths['/v2/admin/tenants/{tenant}/roles/{name}']['get']['responses'][200]['content']['application/json'];
type Resource =
  paths['/v2/admin/tenants/{tenant}/resources/{id}']['get']['responses'][200]['content']['application/json'];

const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const PERMISSION = /^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/;

function useRoles(tenant: string) {
  return useQuery({
    queryKey: ['roles', tenant],
    queryFn: () => unwrap(api.GET('/v2/admin/tenants/{tenant}/roles', { params: { path: { tenant } } })),
  });
}

function useResources(tenant: string) {
  return useQuery({
    queryKey: ['resources', tenant],
    queryFn: () => unwrap(api.GET('/v2/admin/tenants/{tenant}/resources', { params: { path: { tenant } } })),
  });
}

export default function Roles() {
  const tenant = useTenant();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === 'apis' ? 'apis' : 'roles';
  return (
    <>
      <PageHeader
        title="Roles & APIs"
        description="Your APIs and their permissions, and the roles that give users those permissions in their tokens."
      />
      <Tabs value={tab} onChange={(value) => setParams(value === 'apis' ? { tab: 'apis' } : {})}>
        <Tabs.List mb="md">
          <Tabs.Tab value="roles" leftSection={<IconUserShield size={16} />}>
            Roles
          </Tabs.Tab>
          <Tabs.Tab value="apis" leftSection={<IconApi size={16} />}>
            APIs
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="roles">
          <RolesTab tenant={tenant} />
        </Tabs.Panel>
        <Tabs.Panel value="apis">
          <ResourcesTab tenant={tenant} />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}

function Empty({ children }: { children: ReactNode }) {
  return (
    <Paper withBorder p="xl" radius="md">
      <Text c="dimmed" ta="center" size="sm">
        {children}
      </Text>
    </Paper>
  );
}

// --- roles ---------------------------------------------------------------------------------------------

function RolesTab({ tenant }: { tenant: string }) {
  const roles = useRoles(tenant);
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Give roles to users on their page or through the API.
        </Text>
        <RoleForm tenant={tenant} />
      </Group>
      <QueryState query={roles}>
        {({ roles: list }) =>
          list.length === 0 ? (
            <Empty>No roles yet. Create one, then give it permissions of your APIs.</Empty>
          ) : (
            <Accordion variant="separated" radius="md" chevronPosition="left">
              {list.map((role) => (
                <Accordion.Item key={role.name} value={role.name}>
                  <Accordion.Control>
                    <Group gap="sm" wrap="wrap">
                      <Text fw={600} className="hj-mono">
                        {role.name}
                      </Text>
                      {role.system && (
                        <Badge color="gray" variant="outline">
                          System
                        </Badge>
                      )}
                      <Badge variant="default">
                        {role.permissions.length} permission{role.permissions.length === 1 ? '' : 's'}
                      </Badge>
                      {role.description && (
                        <Text size="sm" c="dimmed">
                          {role.description}
                        </Text>
                      )}
                    </Group>
                  </Accordion.Control>
                  <Accordion.Panel>
                    <RolePanel tenant={tenant} role={role} />
                  </Accordion.Panel>
                </Accordion.Item>
              ))}
            </Accordion>
          )
        }
      </QueryState>
    </Stack>
  );
}

/** Create (no `role`) or rename and describe a role, in a modal. */
function RoleForm({ tenant, role }: { tenant: string; role?: Role }) {
  const [opened, { open, close }] = useDisclosure(false);
  const [name, setName] = useState(role?.name ?? '');
  const [description, setDescription] = useState(role?.description ?? '');
  const queries = useQueryClient();
  const nameError =
    name && !ROLE_NAME.test(name)
      ? '1 to 64 letters, digits, and _ . : - (starting with a letter or digit).'
      : null;
  const save = useMutation({
    mutationFn: () => {
      const body = { name, description: description.trim() || null };
      return unwrap(
        role
          ? api.PUT('/v2/admin/tenants/{tenant}/roles/{name}', {
              params: { path: { tenant, name: role.name } },
              body,
            })
          : api.POST('/v2/admin/tenants/{tenant}/roles', { params: { path: { tenant } }, body }),
      );
    },
    onSuccess: (saved) => {
      void queries.invalidateQueries({ queryKey: ['roles', tenant] });
      notifications.show({ color: 'green', message: `${saved.name} was ${role ? 'saved' : 'created'}.` });
      if (!role) {
        setName('');
        setDescription('');
      }
      close();
    },
  });
  return (
    <>
      {role ? (
        <Button variant="default" size="xs" onClick={open} disabled={role.system}>
          Rename or describe
        </Button>
      ) : (
        <Button leftSection={<IconPlus size={16} />} onClick={open}>
          Create role
        </Button>
      )}
      <Modal
        closeButtonProps={{ 'aria-label': 'Close' }}
        opened={opened}
        onClose={close}
        title={role ? `Edit ${role.name}` : 'Create a role'}
        centered
      >
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (!nameError) save.mutate();
          }}
        >
          <Stack>
            <TextInput
              label="Name"
              description="It is what tokens carry in their roles claim."
              placeholder="billing-admin"
              required
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              error={nameError}
              classNames={{ input: 'hj-mono' }}
              data-autofocus
            />
            <TextInput
              label="Description"
              value={description}
              onChange={(e) => setDescription(e.currentTarget.value)}
              maxLength={200}
            />
            {save.isError && <ErrorAlert error={save.error} />}
            <FormActions onCancel={close} pending={save.isPending} disabled={!name}>
              {role ? 'Save' : 'Create'}
            </FormActions>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

function RolePanel({ tenant, role }: { tenant: string; role: Role }) {
  const resources = useResources(tenant);
  const queries = useQueryClient();
  const [adding, setAdding] = useState<string | null>(null);
  const path = { tenant, name: role.name };
  const held = new Set(role.permissions.map((p) => `${p.resource} ${p.permission}`));
  const options = (resources.data?.resources ?? [])
    .map((r) => ({
      group: `${r.name} (${r.identifier})`,
      items: r.permissions
        .filter((p) => !held.has(`${r.identifier} ${p}`))
        .map((p) => ({ value: `${r.identifier} ${p}`, label: p })),
    }))
    .filter((g) => g.items.length > 0);
  const change = useMutation({
    mutationFn: ({ op, key }: { op: 'add' | 'remove'; key: string }) => {
      const at = key.lastIndexOf(' ');
      const body = { permissions: [{ resource: key.slice(0, at), permission: key.slice(at + 1) }] };
      return unwrap(
        op === 'add'
          ? api.POST('/v2/admin/tenants/{tenant}/roles/{name}/permissions', { params: { path }, body })
          : api.DELETE('/v2/admin/tenants/{tenant}/roles/{name}/permissions', { params: { path }, body }),
      );
    },
    onSuccess: () => {
      setAdding(null);
      void queries.invalidateQueries({ queryKey: ['roles', tenant] });
    },
  });
  const remove = async () => {
    await unwrap(api.DELETE('/v2/admin/tenants/{tenant}/roles/{name}', { params: { path } }));
    notifications.show({ color: 'green', message: `${role.name} was deleted.` });
    await queries.invalidateQueries({ queryKey: ['roles', tenant] });
  };
  return (
    <Stack>
      <div>
        <Text size="sm" fw={600} mb={6}>
          Permissions
        </Text>
        {role.permissions.length === 0 ? (
          <Text size="sm" c="dimmed">
            None yet.
          </Text>
        ) : (
          <Group gap={6}>
            {role.permissions.map((p) => (
              <Badge
                key={`${p.resource} ${p.permission}`}
                variant="light"
                size="lg"
                tt="none"
                rightSection={
                  <ActionIcon
                    size="xs"
                    variant="transparent"
                    color="gray"
                    aria-label={`Remove ${p.permission} of ${p.resource} from ${role.name}`}
                    onClick={() => change.mutate({ op: 'remove', key: `${p.resource} ${p.permission}` })}
                  >
                    <IconX size={12} />
                  </ActionIcon>
                }
              >
                {p.permission}
                <Text span size="xs" c="dimmed" ml={6}>
                  {p.resource}
                </Text>
              </Badge>
            ))}
          </Group>
        )}
      </div>
      <Group align="end" gap="sm">
        <Select
          label="Add a permission"
          placeholder={
            options.length ? 'Pick an API permission' : 'No other permission: define them under APIs'
          }
          data={options}
          value={adding}
          onChange={setAdding}
          searchable
          disabled={options.length === 0}
          w={{ base: '100%', sm: 360 }}
        />
        <Button
          variant="light"
          disabled={!adding}
          loading={change.isPending}
          onClick={() => adding && change.mutate({ op: 'add', key: adding })}
        >
          Add
        </Button>
      </Group>
      {resources.isError && <ErrorAlert error={resources.error} onRetry={() => void resources.refetch()} />}
      {change.isError && <ErrorAlert error={change.error} />}
      <Group justify="flex-end" gap="sm">
        <RoleForm tenant={tenant} role={role} />
        {role.system ? (
          <Tooltip label="A system role cannot be deleted">
            <Button size="xs" color="red" variant="light" disabled>
              Delete role
            </Button>
          </Tooltip>
        ) : (
          <ConfirmButton
            size="xs"
            title={`Delete the role ${role.name}?`}
            message="Users who hold it lose it, and their next tokens no longer carry it."
            confirmLabel="Delete role"
            onConfirm={remove}
          >
            Delete role
          </ConfirmButton>
        )}
      </Group>
    </Stack>
  );
}

// --- API resources -------------------------------------------------------------------------------------

function identifierError(value: string): string | null {
  if (!value) return null;
  if (/^urn:/i.test(value))
    return /^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[\x21-\x7E]+$/.test(value)
      ? null
      : 'A URN as urn:<nid>:<nss>.';
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' || !url.hostname) return 'An https:// URL or a urn:.';
  } catch {
    return 'An https:// URL or a urn:.';
  }
  if (value.includes('#')) return 'No fragment (#).';
  return null;
}

const permissionsError = (list: string[]) => {
  const bad = list.find((p) => !PERMISSION.test(p));
  return bad ? `“${bad}” is not a valid permission (no spaces, quotes or backslashes).` : null;
};

function ResourcesTab({ tenant }: { tenant: string }) {
  const resources = useResources(tenant);
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          An API&apos;s identifier is the audience of its tokens and the resource apps ask for.
        </Text>
        <NewResource tenant={tenant} />
      </Group>
      <QueryState query={resources}>
        {({ resources: list }) =>
          list.length === 0 ? (
            <Empty>No APIs yet. Create one for each API that accepts this tenant&apos;s tokens.</Empty>
          ) : (
            <Accordion variant="separated" radius="md" chevronPosition="left">
              {list.map((r) => (
                <Accordion.Item key={r.id} value={r.id}>
                  <Accordion.Control>
                    <Group gap="sm" wrap="wrap">
                      <Text fw={600}>{r.name}</Text>
                      <Code>{r.identifier}</Code>
                      <Badge variant="default">
                        {r.permissions.length} permission{r.permissions.length === 1 ? '' : 's'}
                      </Badge>
                    </Group>
                  </Accordion.Control>
                  <Accordion.Panel>
                    <ResourcePanel tenant={tenant} id={r.id} />
                  </Accordion.Panel>
                </Accordion.Item>
              ))}
            </Accordion>
          )
        }
      </QueryState>
    </Stack>
  );
}

function NewResource({ tenant }: { tenant: string }) {
  const [opened, { open, close }] = useDisclosure(false);
  const [name, setName] = useState('');
  const [identifier, setIdentifier] = useState('');
  const [permissions, setPermissions] = useState<string[]>([]);
  const [ttl, setTtl] = useState<string | number>('');
  const queries = useQueryClient();
  const idError = identifierError(identifier);
  const permError = permissionsError(permissions);
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v2/admin/tenants/{tenant}/resources', {
          params: { path: { tenant } },
          body: {
            name: name.trim(),
            identifier,
            permissions,
            access_token_ttl: typeof ttl === 'number' ? ttl : null,
          },
        }),
      ),
    onSuccess: (created) => {
      void queries.invalidateQueries({ queryKey: ['resources', tenant] });
      notifications.show({ color: 'green', message: `${created.name} was created.` });
      setName('');
      setIdentifier('');
      setPermissions([]);
      setTtl('');
      close();
    },
  });
  return (
    <>
      <Button leftSection={<IconPlus size={16} />} onClick={open}>
        Create API
      </Button>
      <Modal
        closeButtonProps={{ 'aria-label': 'Close' }}
        opened={opened}
        onClose={close}
        title="Create an API"
        centered
        size="lg"
      >
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (!idError && !permError) create.mutate();
          }}
        >
          <Stack>
            <TextInput
              label="Name"
              placeholder="Invoices API"
              required
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              data-autofocus
            />
            <TextInput
              label="Identifier"
              description="An https:// URL or a urn:, usually the API's own address. It cannot change later."
              placeholder="https://api.example.com/invoices"
              required
              classNames={{ input: 'hj-mono' }}
              value={identifier}
              onChange={(e) => setIdentifier(e.currentTarget.value.trim())}
              error={idError}
            />
            <TagsInput
              label="Permissions"
              description="Press Enter after each, e.g. read:invoices."
              value={permissions}
              onChange={setPermissions}
              error={permError}
              clearable
            />
            <NumberInput
              label="Access token lifetime (seconds)"
              description="Empty: the server's default."
              min={60}
              max={86400}
              allowDecimal={false}
              value={ttl}
              onChange={setTtl}
              maw={260}
            />
            {create.isError && <ErrorAlert error={create.error} />}
            <FormActions onCancel={close} pending={create.isPending} disabled={!name.trim() || !identifier}>
              Create
            </FormActions>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

function ResourcePanel({ tenant, id }: { tenant: string; id: string }) {
  const resource = useQuery({
    queryKey: ['resource', tenant, id],
    queryFn: () =>
      unwrap(api.GET('/v2/admin/tenants/{tenant}/resources/{id}', { params: { path: { tenant, id } } })),
  });
  return (
    <QueryState query={resource}>{(data) => <ResourceDetail tenant={tenant} resource={data} />}</QueryState>
  );
}

function ResourceDetail({ tenant, resource }: { tenant: string; resource: Resource }) {
  const queries = useQueryClient();
  const [added, setAdded] = useState<string[]>([]);
  const path = { tenant, id: resource.id };
  const refresh = () =>
    Promise.all([
      queries.invalidateQueries({ queryKey: ['resource', tenant, resource.id] }),
      queries.invalidateQueries({ queryKey: ['resources', tenant] }),
      queries.invalidateQueries({ queryKey: ['roles', tenant] }),
    ]);
  const permError = permissionsError(added);
  const change = useMutation({
    mutationFn: ({ op, permissions }: { op: 'add' | 'remove'; permissions: string[] }) =>
      unwrap(
        op === 'add'
          ? api.POST('/v2/admin/tenants/{tenant}/resources/{id}/permissions', {
              params: { path },
              body: { permissions },
            })
          : api.DELETE('/v2/admin/tenants/{tenant}/resources/{id}/permissions', {
              params: { path },
              body: { permissions },
            }),
      ),
    onSuccess: () => {
      setAdded([]);
      void refresh();
    },
  });
  const remove = async () => {
    await unwrap(api.DELETE('/v2/admin/tenants/{tenant}/resources/{id}', { params: { path } }));
    notifications.show({ color: 'green', message: `${resource.name} was deleted.` });
    await refresh();
  };
  return (
    <Stack>
      <div>
        <Text size="sm" fw={600} mb={6}>
          Permissions
        </Text>
        {resource.permissions.length === 0 ? (
          <Text size="sm" c="dimmed">
            None yet.
          </Text>
        ) : (
          <Group gap={6}>
            {resource.permissions.map((p) => (
              <Badge
                key={p}
                variant="light"
                size="lg"
                tt="none"
                rightSection={
                  <ActionIcon
                    size="xs"
                    variant="transparent"
                    color="gray"
                    aria-label={`Remove the permission ${p}`}
                    onClick={() => change.mutate({ op: 'remove', permissions: [p] })}
                  >
                    <IconX size={12} />
                  </ActionIcon>
                }
              >
                {p}
              </Badge>
            ))}
          </Group>
        )}
      </div>
      <Group align="end" gap="sm">
        <TagsInput
          label="Add permissions"
          placeholder="write:invoices, then Enter"
          value={added}
          onChange={setAdded}
          error={permError}
          w={{ base: '100%', sm: 360 }}
        />
        <Button
          variant="light"
          disabled={added.length === 0 || !!permError}
          loading={change.isPending}
          onClick={() => change.mutate({ op: 'add', permissions: added })}
        >
          Add
        </Button>
      </Group>
      {change.isError && <ErrorAlert error={change.error} />}
      <AllowedClients tenant={tenant} resource={resource} onChange={refresh} />
      <Group justify="space-between" gap="sm">
        <Text size="xs" c="dimmed">
          Access tokens live{' '}
          {resource.access_token_ttl ? `${resource.access_token_ttl} seconds` : "the server's default time"}.
        </Text>
        <ConfirmButton
          size="xs"
          title={`Delete the API ${resource.name}?`}
          message="Roles lose its permissions and apps can no longer ask tokens for it. Tokens already issued stay valid until they expire."
          confirmLabel="Delete API"
          onConfirm={remove}
        >
          Delete API
        </ConfirmButton>
      </Group>
    </Stack>
  );
}

function AllowedClients({
  tenant,
  resource,
  onChange,
}: {
  tenant: string;
  resource: Resource;
  onChange: () => Promise<unknown>;
}) {
  const clients = useQuery({
    queryKey: ['clients', tenant],
    queryFn: () => unwrap(api.GET('/v2/admin/tenants/{tenant}/clients', { params: { path: { tenant } } })),
  });
  const [clientId, setClientId] = useState<string | null>(null);
  const [granted, setGranted] = useState<string[]>([]);
  const allowed = resource.clients ?? [];
  const names = new Map((clients.data?.clients ?? []).map((c) => [c.client_id, c.name]));
  const options = (clients.data?.clients ?? [])
    .filter((c) => !allowed.some((a) => a.client_id === c.client_id))
    .map((c) => ({ value: c.client_id, label: `${c.name} (${c.client_id})` }));
  const allow = useMutation({
    mutationFn: (input: { clientId: string; permissions: string[] }) =>
      unwrap(
        api.PUT('/v2/admin/tenants/{tenant}/resources/{id}/clients/{client_id}', {
          params: { path: { tenant, id: resource.id, client_id: input.clientId } },
          body: { permissions: input.permissions },
        }),
      ),
    onSuccess: () => {
      setClientId(null);
      setGranted([]);
      void onChange();
    },
  });
  const disallow = async (id: string) => {
    await unwrap(
      api.DELETE('/v2/admin/tenants/{tenant}/resources/{id}/clients/{client_id}', {
        params: { path: { tenant, id: resource.id, client_id: id } },
      }),
    );
    await onChange();
  };
  return (
    <div>
      <Text size="sm" fw={600}>
        Applications allowed
      </Text>
      <Text size="xs" c="dimmed" mb={6}>
        Only these apps may ask tokens for this API. Users&apos; permissions come from their roles; the
        permissions here are the app&apos;s own (client credentials).
      </Text>
      {allowed.length > 0 && (
        <div className="hj-table-scroll">
          <Table verticalSpacing="xs" miw={480} mb="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Application</Table.Th>
                <Table.Th>Its own permissions</Table.Th>
                <Table.Th aria-label="Actions" />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {allowed.map((a) => (
                <Table.Tr key={a.client_id}>
                  <Table.Td>
                    <Text size="sm">{names.get(a.client_id) ?? a.client_id}</Text>
                    <Code>{a.client_id}</Code>
                  </Table.Td>
                  <Table.Td>
                    <MultiSelect
                      aria-label={`Permissions of ${a.client_id}`}
                      data={resource.permissions}
                      value={a.permissions}
                      onChange={(value) => allow.mutate({ clientId: a.client_id, permissions: value })}
                      placeholder={a.permissions.length ? undefined : 'None'}
                      size="xs"
                    />
                  </Table.Td>
                  <Table.Td ta="right">
                    <ConfirmButton
                      size="xs"
                      variant="subtle"
                      title="Stop allowing this app?"
                      message={`${names.get(a.client_id) ?? a.client_id} will no longer get tokens for ${resource.identifier}.`}
                      confirmLabel="Remove"
                      onConfirm={() => disallow(a.client_id)}
                    >
                      Remove
                    </ConfirmButton>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </div>
      )}
      <Group align="end" gap="sm">
        <Select
          label="Allow an application"
          placeholder={options.length ? 'Pick an application' : 'Every application is allowed'}
          data={options}
          value={clientId}
          onChange={setClientId}
          searchable
          disabled={options.length === 0}
          w={{ base: '100%', sm: 300 }}
        />
        <MultiSelect
          label="With permissions"
          placeholder="None"
          data={resource.permissions}
          value={granted}
          onChange={setGranted}
          w={{ base: '100%', sm: 260 }}
        />
        <Button
          variant="light"
          disabled={!clientId}
          loading={allow.isPending}
          onClick={() => clientId && allow.mutate({ clientId, permissions: granted })}
        >
          Allow
        </Button>
      </Group>
      {clients.isError && <ErrorAlert error={clients.error} onRetry={() => void clients.refetch()} />}
      {allow.isError && <ErrorAlert error={allow.error} />}
    </div>
  );
}

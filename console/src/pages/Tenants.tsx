// Tenants (installation-wide): every tenant, a new one (then on to its settings), deleting one with its
// slug typed to confirm (never the default tenant).
import {
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  Stack,
  Table,
  Text,
  TextInput,
  VisuallyHidden,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconBuildingPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { ConfirmButton } from '../components/ConfirmButton';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, QueryState } from '../components/QueryState';
import { formatDate } from '../format';
import { FormActions } from '../components/FormActions';

const DEFAULT_TENANT = 'default';

export default function Tenants() {
  const queries = useQueryClient();
  const tenants = useQuery({
    queryKey: ['tenants'],
    queryFn: () => unwrap(api.GET('/v2/admin/tenants')),
  });
  return (
    <>
      <PageHeader
        title="Tenants"
        description="Each tenant is its own issuer, with its own users, applications, keys and settings."
        actions={<NewTenant />}
      />
      <QueryState query={tenants}>
        {(data) => (
          <div className="hj-table-scroll">
            <Table highlightOnHover verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th visibleFrom="sm">Slug</Table.Th>
                  <Table.Th visibleFrom="md">Issuer</Table.Th>
                  <Table.Th visibleFrom="lg">Created</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.tenants.map((t) => (
                  <Table.Tr key={t.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/t/${t.slug}`} fw={500}>
                        {t.name}
                      </Anchor>
                      <Text size="xs" c="dimmed" ff="monospace" hiddenFrom="sm">
                        {t.slug}
                      </Text>
                    </Table.Td>
                    <Table.Td visibleFrom="sm">
                      <Group gap={6} wrap="nowrap">
                        <Text ff="monospace" size="sm">
                          {t.slug}
                        </Text>
                        {t.slug === DEFAULT_TENANT && (
                          <Badge variant="light" size="sm">
                            Default
                          </Badge>
                        )}
                      </Group>
                    </Table.Td>
                    <Table.Td visibleFrom="md">
                      <Text size="sm" c="dimmed" className="hj-mono">
                        {t.issuer}
                      </Text>
                    </Table.Td>
                    <Table.Td visibleFrom="lg">{formatDate(t.created_at)}</Table.Td>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap" justify="flex-end">
                        <Button
                          component={Link}
                          to={`/t/${t.slug}/settings`}
                          size="xs"
                          variant="default"
                          aria-label={`Settings of ${t.name}`}
                        >
                          Settings
                        </Button>
                        {t.slug !== DEFAULT_TENANT && (
                          <ConfirmButton
                            size="xs"
                            aria-label={`Delete ${t.name}`}
                            title={`Delete the tenant ${t.name}?`}
                            message={
                              <>
                                Everything of it is deleted at once and for good: its users and their
                                sessions, its applications, signing keys, settings and audit trail.
                                Applications that trust its issuer stop working.
                              </>
                            }
                            typeToConfirm={t.slug}
                            confirmLabel="Delete tenant"
                            onConfirm={() =>
                              unwrap(
                                api.DELETE('/v2/admin/tenants/{tenant}', {
                                  params: { path: { tenant: t.slug }, query: { force: 'true' } },
                                }),
                              ).then((deleted) => {
                                notifications.show({
                                  color: 'green',
                                  message: `${t.name} was deleted (${deleted.users_deleted} users).`,
                                });
                                return queries.invalidateQueries({ queryKey: ['tenants'] });
                              })
                            }
                          >
                            Delete
                          </ConfirmButton>
                        )}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </div>
        )}
      </QueryState>
    </>
  );
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A slug suggested from the name while the operator has not typed one. */
const slugOf = (name: string) =>
  name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');

function NewTenant() {
  const [opened, { open, close }] = useDisclosure(false);
  const [name, setName] = useState('');
  const [slug, setSlug] = useState<string | null>(null);
  const queries = useQueryClient();
  const navigate = useNavigate();
  const shownSlug = slug ?? slugOf(name);
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/v2/admin/tenants', { body: { slug: shownSlug, name: name.trim() } })),
    onSuccess: (tenant) => {
      void queries.invalidateQueries({ queryKey: ['tenants'] });
      notifications.show({ color: 'green', message: `${tenant.name} was created.` });
      close();
      void navigate(`/t/${tenant.slug}/settings`);
    },
  });
  const slugProblem =
    shownSlug && !SLUG.test(shownSlug)
      ? 'Lowercase letters, digits and hyphens; not starting or ending with a hyphen.'
      : null;
  return (
    <>
      <Button leftSection={<IconBuildingPlus size={16} />} onClick={open}>
        Create tenant
      </Button>
      <Modal opened={opened} onClose={close} title="Create a tenant" centered>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            create.mutate();
          }}
        >
          <Stack>
            <TextInput
              label="Name"
              required
              maxLength={200}
              placeholder="Acme Inc."
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              data-autofocus
            />
            <TextInput
              label="Slug"
              required
              maxLength={63}
              description="In its URLs (/t/slug) and issuer; it cannot be changed later."
              classNames={{ input: 'hj-mono' }}
              value={shownSlug}
              error={slugProblem}
              onChange={(e) => setSlug(e.currentTarget.value)}
            />
            {create.isError && <ErrorAlert error={create.error} />}
            <FormActions
              onCancel={close}
              pending={create.isPending}
              disabled={!name.trim() || !shownSlug || !!slugProblem}
            >
              Create
            </FormActions>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

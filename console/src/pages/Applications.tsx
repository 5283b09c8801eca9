// Applications: the tenant's OAuth clients (name, client id, kind, grants), and the way to a new one.
import { Anchor, Badge, Box, Button, Code, Group, Paper, Stack, Table, Text, ThemeIcon } from '@mantine/core';
import { IconApps, IconPlus } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import { PageHeader } from '../components/PageHeader';
import { QueryState } from '../components/QueryState';
import { formatDate } from '../format';
import { useTenant } from '../Shell';
import { KindBadge } from './applications/kinds';

export default function Applications() {
  const tenant = useTenant();
  // The admin API lists a tenant's clients whole (no cursor): tenants have tens of apps, not thousands.
  const clients = useQuery({
    queryKey: ['clients', tenant],
    queryFn: () => unwrap(api.GET('/v2/admin/tenants/{tenant}/clients', { params: { path: { tenant } } })),
  });
  const create = (
    <Button component={Link} to={`/t/${tenant}/applications/new`} leftSection={<IconPlus size={16} />}>
      Create application
    </Button>
  );
  return (
    <>
      <PageHeader
        title="Applications"
        description="The apps and services that sign users in, or call your APIs, through this tenant."
        actions={create}
      />
      <QueryState query={clients}>
        {({ clients: list }) =>
          list.length === 0 ? (
            <Paper withBorder p="xl" radius="md">
              <Stack align="center" gap="sm">
                <ThemeIcon size={48} radius="xl" variant="light">
                  <IconApps size={26} />
                </ThemeIcon>
                <Text fw={600}>No applications yet</Text>
                <Text c="dimmed" size="sm" ta="center" maw={420}>
                  Create one for each app that signs users in (web, single-page or native) or each service
                  that calls your APIs.
                </Text>
                {create}
              </Stack>
            </Paper>
          ) : (
            <>
              {/* Phones: one card per app; the table needs room for five columns. */}
              <Stack gap="sm" hiddenFrom="sm">
                {list.map((client) => (
                  <Paper key={client.client_id} withBorder radius="md" p="md">
                    <Stack gap={6}>
                      <Group justify="space-between" wrap="nowrap" align="start">
                        <Anchor
                          component={Link}
                          to={`/t/${tenant}/applications/${encodeURIComponent(client.client_id)}`}
                          fw={600}
                        >
                          {client.name}
                        </Anchor>
                        <KindBadge client={client} />
                      </Group>
                      <Code className="hj-mono">{client.client_id}</Code>
                      <Text size="xs" c="dimmed">
                        {client.type} · {client.grant_types.join(', ')}
                      </Text>
                    </Stack>
                  </Paper>
                ))}
              </Stack>
              <Box className="hj-table-scroll" visibleFrom="sm">
                <Table highlightOnHover verticalSpacing="sm" miw={720}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Name</Table.Th>
                      <Table.Th>Client ID</Table.Th>
                      <Table.Th>Type</Table.Th>
                      <Table.Th>Grant types</Table.Th>
                      <Table.Th>Created</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {list.map((client) => (
                      <Table.Tr key={client.client_id}>
                        <Table.Td>
                          <Anchor
                            component={Link}
                            to={`/t/${tenant}/applications/${encodeURIComponent(client.client_id)}`}
                            fw={500}
                          >
                            {client.name}
                          </Anchor>
                        </Table.Td>
                        <Table.Td>
                          <Code>{client.client_id}</Code>
                        </Table.Td>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>
                          <Group gap={4} wrap="nowrap">
                            <KindBadge client={client} />
                            <Badge variant="outline" color="gray">
                              {client.type}
                            </Badge>
                          </Group>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm">{client.grant_types.join(', ')}</Text>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm">{formatDate(client.created_at)}</Text>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Box>
            </>
          )
        }
      </QueryState>
    </>
  );
}

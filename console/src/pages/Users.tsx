// Users: search as you type (email prefix), one page at a time (keyset cursor), and a new user.
import {
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  PasswordInput,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconSearch, IconUserPlus } from '@tabler/icons-react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, QueryState } from '../components/QueryState';
import { formatDate } from '../format';
import { PageButtons, useCursorPages } from '../components/CursorPages';
import { useTenant } from '../Shell';
import { FormActions } from '../components/FormActions';

const PAGE = 25;

export default function Users() {
  const tenant = useTenant();
  const [search, setSearch] = useState('');
  const [email] = useDebouncedValue(search.trim(), 250);
  // Cursors of the pages before this one: "Previous" pops, "Next" pushes.
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const users = useQuery({
    queryKey: ['users', tenant, email, cursor],
    queryFn: () =>
      unwrap(
        api.GET('/v2/admin/tenants/{tenant}/users', {
          params: { path: { tenant }, query: { limit: String(PAGE), email: email || undefined, cursor } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <PageHeader
        title="Users"
        description="Everyone who can sign in to this tenant."
        actions={<NewUser tenant={tenant} />}
      />
      <TextInput
        label="Search by email"
        placeholder="ann@"
        leftSection={<IconSearch size={16} />}
        value={search}
        onChange={(event) => {
          setSearch(event.currentTarget.value);
          pages.reset();
        }}
        mb="md"
        maw={420}
      />
      <QueryState query={users}>
        {(data) => (
          <>
            <div className="hj-table-scroll">
              <Table highlightOnHover verticalSpacing="sm" miw={640}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Email</Table.Th>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>Last sign-in</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.users.map((user) => (
                    <Table.Tr key={user.id}>
                      <Table.Td>
                        <Anchor component={Link} to={`/t/${tenant}/users/${user.id}`}>
                          {user.email}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>{user.name ?? <Text c="dimmed">—</Text>}</Table.Td>
                      <Table.Td>
                        <Group gap={4}>
                          {user.blocked && <Badge color="red">Blocked</Badge>}
                          {!user.email_verified && <Badge color="yellow">Unverified</Badge>}
                          {!user.blocked && user.email_verified && <Badge color="green">Active</Badge>}
                        </Group>
                      </Table.Td>
                      <Table.Td>{formatDate(user.created_at)}</Table.Td>
                      <Table.Td>{user.last_login_at ? formatDate(user.last_login_at) : 'Never'}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </div>
            {data.users.length === 0 && (
              <Text c="dimmed" ta="center" py="xl">
                {email ? `No user’s email starts with “${email}”.` : 'No users yet.'}
              </Text>
            )}
            <PageButtons pages={pages} nextCursor={data.next_cursor} />
          </>
        )}
      </QueryState>
    </>
  );
}

function NewUser({ tenant }: { tenant: string }) {
  const [opened, { open, close }] = useDisclosure(false);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [verified, setVerified] = useState(true);
  const queries = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v2/admin/tenants/{tenant}/users', {
          params: { path: { tenant } },
          body: { email, name: name || null, password: password || null, email_verified: verified },
        }),
      ),
    onSuccess: (user) => {
      void queries.invalidateQueries({ queryKey: ['users', tenant] });
      notifications.show({ color: 'green', message: `${user.email} was created.` });
      close();
      void navigate(`/t/${tenant}/users/${user.id}`);
    },
  });
  return (
    <>
      <Button leftSection={<IconUserPlus size={16} />} onClick={open}>
        Create user
      </Button>
      <Modal opened={opened} onClose={close} title="Create a user" centered>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            create.mutate();
          }}
        >
          <Stack>
            <TextInput
              label="Email"
              type="email"
              required
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              data-autofocus
            />
            <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
            <PasswordInput
              label="Password"
              description="Leave empty for a user who signs in another way (magic link, passkey, social)."
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              autoComplete="new-password"
            />
            <Switch
              label="The email address is verified"
              checked={verified}
              onChange={(e) => setVerified(e.currentTarget.checked)}
            />
            {create.isError && <ErrorAlert error={create.error} />}
            <FormActions onCancel={close} pending={create.isPending}>
              Create
            </FormActions>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

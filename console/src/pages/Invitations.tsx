// Invitations: who was invited and where each stands (by status, one page at a time), a new invitation
// whose link is shown once to copy, and resending (a new link) or revoking a pending one.
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  MultiSelect,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconMailPlus } from '@tabler/icons-react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { ConfirmButton } from '../components/ConfirmButton';
import { CopyField } from '../components/CopyField';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, QueryState } from '../components/QueryState';
import { formatDate } from '../format';
import { PageButtons, useCursorPages } from '../components/CursorPages';
import { useTenant } from '../Shell';
import { Empty, TableScroll } from './user/common';
import { FormActions } from '../components/FormActions';

const PAGE = 25;
type Status = 'pending' | 'accepted' | 'revoked' | 'expired';
type Invitation =
  paths['/v2/admin/tenants/{tenant}/invitations']['get']['responses'][200]['content']['application/json']['invitations'][number];

const STATUS_COLOR: Record<Status, string> = {
  pending: 'blue',
  accepted: 'green',
  revoked: 'gray',
  expired: 'yellow',
};

const EXPIRIES = [
  { value: String(86_400), label: '1 day' },
  { value: String(3 * 86_400), label: '3 days' },
  { value: String(7 * 86_400), label: '7 days' },
  { value: String(14 * 86_400), label: '14 days' },
  { value: String(30 * 86_400), label: '30 days' },
];

export default function Invitations() {
  const tenant = useTenant();
  const [status, setStatus] = useState<'all' | Status>('all');
  const pages = useCursorPages();
  const cursor = pages.cursor;
  // The link of the invitation just made or resent: shown once, then gone.
  const [link, setLink] = useState<{ email: string; url: string; resent: boolean } | null>(null);
  const invitations = useQuery({
    queryKey: ['invitations', tenant, status, cursor],
    queryFn: () =>
      unwrap(
        api.GET('/v2/admin/tenants/{tenant}/invitations', {
          params: {
            path: { tenant },
            query: { limit: String(PAGE), cursor, status: status === 'all' ? undefined : status },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <PageHeader
        title="Invitations"
        description="Links that let someone create their account in this tenant, with roles chosen in advance."
        actions={<Invite tenant={tenant} onLink={setLink} />}
      />
      <SegmentedControl
        aria-label="Status"
        value={status}
        onChange={(value) => {
          setStatus(value);
          pages.reset();
        }}
        data={[
          { value: 'all', label: 'All' },
          { value: 'pending', label: 'Pending' },
          { value: 'accepted', label: 'Accepted' },
          { value: 'expired', label: 'Expired' },
          { value: 'revoked', label: 'Revoked' },
        ]}
        mb="md"
        className="hj-segmented"
      />
      <QueryState query={invitations}>
        {(data) => (
          <>
            {data.invitations.length === 0 ? (
              <Empty title={status === 'all' ? 'No invitations yet' : `No ${status} invitations`}>
                Invite someone by email: they get a link that creates their account, already holding the roles
                you pick.
              </Empty>
            ) : (
              <TableScroll label="Invitations">
                <Table highlightOnHover verticalSpacing="sm" miw={900} aria-label="Invitations">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Email</Table.Th>
                      <Table.Th>Roles</Table.Th>
                      <Table.Th>Status</Table.Th>
                      <Table.Th>Invited</Table.Th>
                      <Table.Th>Expires</Table.Th>
                      <Table.Th>
                        <span className="hj-sr-only">Actions</span>
                      </Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {data.invitations.map((invitation) => (
                      <Row key={invitation.id} tenant={tenant} invitation={invitation} onLink={setLink} />
                    ))}
                  </Table.Tbody>
                </Table>
              </TableScroll>
            )}
            <PageButtons pages={pages} nextCursor={data.next_cursor} />
          </>
        )}
      </QueryState>
      <Modal
        closeButtonProps={{ 'aria-label': 'Close' }}
        opened={link !== null}
        onClose={() => setLink(null)}
        title={link?.resent ? 'Invitation sent again' : 'Invitation created'}
        centered
        size="lg"
      >
        {link && (
          <Stack>
            <Text size="sm">
              The link for <b>{link.email}</b>
              {link.resent ? ' (the previous link no longer works)' : ''}:
            </Text>
            <CopyField label="Invitation link" value={link.url} />
            <Alert color="yellow" icon={<IconAlertTriangle size={18} />}>
              <Text size="sm">
                <b>Shown only now.</b> Copy it if you hand it over yourself: the server keeps only its hash,
                so it cannot be shown again. Resending makes a new one.
              </Text>
            </Alert>
            <Group justify="flex-end">
              <Button onClick={() => setLink(null)}>Done</Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}

function Row({
  tenant,
  invitation,
  onLink,
}: {
  tenant: string;
  invitation: Invitation;
  onLink: (link: { email: string; url: string; resent: boolean }) => void;
}) {
  const queries = useQueryClient();
  const resend = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v2/admin/tenants/{tenant}/invitations/{id}/resend', {
          params: { path: { tenant, id: invitation.id } },
          body: {},
        }),
      ),
    onSuccess: (sent) => {
      void queries.invalidateQueries({ queryKey: ['invitations', tenant] });
      onLink({ email: sent.email, url: sent.url, resent: true });
    },
    onError: (error) => notifications.show({ color: 'red', title: 'Not resent', message: error.message }),
  });
  const open = invitation.status === 'pending' || invitation.status === 'expired';
  return (
    <Table.Tr>
      <Table.Td>
        {invitation.user_id ? (
          <Anchor component={Link} to={`/t/${tenant}/users/${invitation.user_id}`}>
            {invitation.email}
          </Anchor>
        ) : (
          <Text size="sm">{invitation.email}</Text>
        )}
        {invitation.name && (
          <Text size="xs" c="dimmed">
            {invitation.name}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        {invitation.roles.length ? (
          <Group gap={4}>
            {invitation.roles.map((role) => (
              <Badge key={role} variant="outline" tt="none">
                {role}
              </Badge>
            ))}
          </Group>
        ) : (
          <Text size="sm" c="dimmed">
            None
          </Text>
        )}
      </Table.Td>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>
        <Badge color={STATUS_COLOR[invitation.status]}>{invitation.status}</Badge>
      </Table.Td>
      <Table.Td>{formatDate(invitation.created_at)}</Table.Td>
      <Table.Td>{invitation.status === 'accepted' ? '—' : formatDate(invitation.expires_at)}</Table.Td>
      <Table.Td>
        {open && (
          <Group gap="xs" justify="flex-end" wrap="nowrap">
            <Button
              size="xs"
              variant="default"
              loading={resend.isPending}
              onClick={() => resend.mutate()}
              aria-label={`Resend the invitation to ${invitation.email}`}
            >
              Resend
            </Button>
            {invitation.status === 'pending' && (
              <ConfirmButton
                size="xs"
                title={`Revoke the invitation to ${invitation.email}?`}
                message="The link stops working. You can invite the address again later."
                confirmLabel="Revoke invitation"
                aria-label={`Revoke the invitation to ${invitation.email}`}
                onConfirm={async () => {
                  await unwrap(
                    api.DELETE('/v2/admin/tenants/{tenant}/invitations/{id}', {
                      params: { path: { tenant, id: invitation.id } },
                    }),
                  );
                  notifications.show({
                    color: 'green',
                    message: `The invitation to ${invitation.email} is revoked.`,
                  });
                  await queries.invalidateQueries({ queryKey: ['invitations', tenant] });
                }}
              >
                Revoke
              </ConfirmButton>
            )}
          </Group>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

function Invite({
  tenant,
  onLink,
}: {
  tenant: string;
  onLink: (link: { email: string; url: string; resent: boolean }) => void;
}) {
  const [opened, { open, close }] = useDisclosure(false);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [roles, setRoles] = useState<string[]>([]);
  const [expiry, setExpiry] = useState(String(7 * 86_400));
  const [sendEmail, setSendEmail] = useState(true);
  const queries = useQueryClient();
  const tenantRoles = useQuery({
    queryKey: ['roles', tenant],
    queryFn: () => unwrap(api.GET('/v2/admin/tenants/{tenant}/roles', { params: { path: { tenant } } })),
    enabled: opened,
  });
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v2/admin/tenants/{tenant}/invitations', {
          params: { path: { tenant } },
          body: {
            email: email.trim(),
            ...(name.trim() ? { name: name.trim() } : {}),
            roles,
            expires_in: Number(expiry),
            send_email: sendEmail,
          },
        }),
      ),
    onSuccess: (invitation) => {
      void queries.invalidateQueries({ queryKey: ['invitations', tenant] });
      dismiss();
      onLink({ email: invitation.email, url: invitation.url, resent: false });
    },
  });
  const dismiss = () => {
    setEmail('');
    setName('');
    setRoles([]);
    create.reset();
    close();
  };
  return (
    <>
      <Button leftSection={<IconMailPlus size={16} />} onClick={open}>
        Invite
      </Button>
      <Modal
        closeButtonProps={{ 'aria-label': 'Close' }}
        opened={opened}
        onClose={dismiss}
        title="Invite someone"
        centered
      >
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
            <TextInput
              label="Name"
              description="Optional: prefilled on their sign-up page."
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
            />
            <MultiSelect
              label="Roles"
              description="The account gets them when it is created."
              placeholder={roles.length ? undefined : 'No role'}
              data={(tenantRoles.data?.roles ?? []).map((r) => r.name)}
              value={roles}
              onChange={setRoles}
              searchable
              clearable
              nothingFoundMessage={tenantRoles.isPending ? 'Loading roles…' : 'No role of that name'}
              error={tenantRoles.isError ? tenantRoles.error.message : undefined}
            />
            <Select
              label="The link works for"
              data={EXPIRIES}
              value={expiry}
              onChange={(value) => value && setExpiry(value)}
              allowDeselect={false}
            />
            <Switch
              label="Email the link to the address"
              checked={sendEmail}
              onChange={(e) => setSendEmail(e.currentTarget.checked)}
            />
            {create.isError && <ErrorAlert error={create.error} />}
            <FormActions onCancel={dismiss} pending={create.isPending}>
              Invite
            </FormActions>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

// One user: who they are and the operator's actions on the account (block, password, sign-out, export,
// delete), with tabs for the profile, sessions, second factors and linked accounts, roles, consents and
// the audit trail. The tab is in the URL (?tab=) so a link can open it.
import {
  Anchor,
  Avatar,
  Badge,
  Breadcrumbs,
  Button,
  Card,
  Group,
  Modal,
  PasswordInput,
  Stack,
  Switch,
  Tabs,
  Text,
  Title,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import {
  IconDownload,
  IconHistory,
  IconKey,
  IconLock,
  IconLockOpen,
  IconLogout,
  IconShieldCheck,
  IconTrash,
  IconUser,
  IconUserShield,
  IconDevices,
  IconChecklist,
} from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { ConfirmButton } from '../components/ConfirmButton';
import { ErrorAlert, QueryState } from '../components/QueryState';
import { formatDate } from '../format';
import { useTenant } from '../Shell';
import { Activity } from './user/Activity';
import { userKey, useUser, type UserRecord, type UserRef } from './user/common';
import { Consents } from './user/Consents';
import { Profile } from './user/Profile';
import { Roles } from './user/Roles';
import { Security } from './user/Security';
import { Sessions } from './user/Sessions';
import { FormActions } from '../components/FormActions';

const TABS = [
  { value: 'profile', label: 'Profile', icon: IconUser },
  { value: 'sessions', label: 'Sessions', icon: IconDevices },
  { value: 'security', label: 'Security', icon: IconShieldCheck },
  { value: 'roles', label: 'Roles', icon: IconUserShield },
  { value: 'consents', label: 'Consents', icon: IconChecklist },
  { value: 'activity', label: 'Activity', icon: IconHistory },
] as const;

export default function User() {
  const tenant = useTenant();
  const id = useParams().id ?? '';
  const ref = { tenant, id };
  const user = useUser(ref);
  const [params, setParams] = useSearchParams();
  const tab = TABS.some((t) => t.value === params.get('tab')) ? params.get('tab')! : 'profile';
  return (
    <>
      <Breadcrumbs mb="sm" aria-label="Breadcrumb">
        <Anchor component={Link} to={`/t/${tenant}/users`} size="sm">
          Users
        </Anchor>
        <Text size="sm" c="dimmed" truncate maw={260}>
          {user.data?.email ?? id}
        </Text>
      </Breadcrumbs>
      <QueryState query={user}>
        {(data) => (
          <>
            <Header user={data} refOf={ref} />
            <Tabs
              value={tab}
              onChange={(value) =>
                setParams(value && value !== 'profile' ? { tab: value } : {}, { replace: true })
              }
              keepMounted={false}
              mt="lg"
            >
              <div className="hj-tabs-scroll">
                <Tabs.List>
                  {TABS.map((t) => (
                    <Tabs.Tab key={t.value} value={t.value} leftSection={<t.icon size={16} stroke={1.6} />}>
                      {t.label}
                    </Tabs.Tab>
                  ))}
                </Tabs.List>
              </div>
              <Tabs.Panel value="profile" pt="lg">
                <Profile user={data} refOf={ref} />
              </Tabs.Panel>
              <Tabs.Panel value="sessions" pt="lg">
                <Sessions refOf={ref} />
              </Tabs.Panel>
              <Tabs.Panel value="security" pt="lg">
                <Security refOf={ref} />
              </Tabs.Panel>
              <Tabs.Panel value="roles" pt="lg">
                <Roles refOf={ref} />
              </Tabs.Panel>
              <Tabs.Panel value="consents" pt="lg">
                <Consents refOf={ref} />
              </Tabs.Panel>
              <Tabs.Panel value="activity" pt="lg">
                <Activity refOf={ref} />
              </Tabs.Panel>
            </Tabs>
          </>
        )}
      </QueryState>
    </>
  );
}

function initials(user: UserRecord): string {
  const source = user.name?.trim() || user.email;
  return source
    .split(/[\s@._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]!.toUpperCase())
    .join('');
}

function Header({ user, refOf }: { user: UserRecord; refOf: UserRef }) {
  return (
    <Card withBorder padding="lg">
      <Group justify="space-between" align="start" gap="md">
        <Group gap="md" wrap="nowrap" align="start" miw={0} style={{ flex: '1 1 320px' }}>
          <Avatar src={user.picture ?? null} alt="" size={56} radius="xl" color="indigo" visibleFrom="xs">
            {initials(user)}
          </Avatar>
          <Stack gap={6} miw={0}>
            <Title order={1} size="h3" className="hj-break">
              {user.email}
            </Title>
            {user.name && (
              <Text size="sm" c="dimmed">
                {user.name}
              </Text>
            )}
            <Group gap={6}>
              {user.blocked ? <Badge color="red">Blocked</Badge> : <Badge color="green">Active</Badge>}
              {user.email_verified ? (
                <Badge color="blue">Email verified</Badge>
              ) : (
                <Badge color="yellow">Email unverified</Badge>
              )}
              {!user.has_password && <Badge color="gray">No password</Badge>}
            </Group>
            <Group gap="lg" mt={4}>
              <Text size="xs" c="dimmed">
                Created {formatDate(user.created_at)}
              </Text>
              <Text size="xs" c="dimmed">
                Last sign-in {user.last_login_at ? formatDate(user.last_login_at) : 'never'}
              </Text>
              <Text size="xs" c="dimmed" className="hj-mono">
                ID {user.id}
              </Text>
            </Group>
          </Stack>
        </Group>
        <Actions user={user} refOf={refOf} />
      </Group>
    </Card>
  );
}

function Actions({ user, refOf }: { user: UserRecord; refOf: UserRef }) {
  const { tenant, id } = refOf;
  const queries = useQueryClient();
  const navigate = useNavigate();
  const path = { params: { path: { tenant, id } } };
  const refresh = () => queries.invalidateQueries({ queryKey: userKey(refOf) });
  const unblock = useMutation({
    mutationFn: () => unwrap(api.POST('/v2/admin/tenants/{tenant}/users/{id}/unblock', path)),
    onSuccess: () => {
      notifications.show({ color: 'green', message: `${user.email} can sign in again.` });
      return refresh();
    },
    onError: (error) => notifications.show({ color: 'red', title: 'Not unblocked', message: error.message }),
  });
  const exporting = useMutation({
    mutationFn: () => unwrap(api.GET('/v2/admin/tenants/{tenant}/users/{id}/export', path)),
    onSuccess: (data) => {
      const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `user-${user.id}-export.json`;
      document.body.append(link);
      link.click();
      link.remove();
      // Revoked after the click has handed the file to the browser.
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    },
    onError: (error) => notifications.show({ color: 'red', title: 'Export failed', message: error.message }),
  });
  return (
    <Group gap="xs" style={{ flex: '0 1 auto' }}>
      {user.blocked ? (
        <Button
          variant="light"
          color="green"
          leftSection={<IconLockOpen size={16} />}
          loading={unblock.isPending}
          onClick={() => unblock.mutate()}
        >
          Unblock
        </Button>
      ) : (
        <ConfirmButton
          variant="default"
          leftSection={<IconLock size={16} />}
          title={`Block ${user.email}?`}
          message="They cannot sign in until unblocked, and every session they have ends now."
          confirmLabel="Block"
          onConfirm={async () => {
            await unwrap(api.POST('/v2/admin/tenants/{tenant}/users/{id}/block', path));
            notifications.show({ color: 'green', message: `${user.email} is blocked.` });
            await refresh();
          }}
        >
          Block
        </ConfirmButton>
      )}
      <SetPassword user={user} refOf={refOf} onDone={refresh} />
      <ConfirmButton
        variant="default"
        leftSection={<IconLogout size={16} />}
        title="Sign out everywhere?"
        message={`Every session of ${user.email} ends: browsers, apps and refresh tokens. They sign in again to continue.`}
        confirmLabel="Sign out everywhere"
        onConfirm={async () => {
          const done = await unwrap(api.POST('/v2/admin/tenants/{tenant}/users/{id}/logout', path));
          notifications.show({
            color: 'green',
            message: `${done.sessions_revoked} session${done.sessions_revoked === 1 ? '' : 's'} ended.`,
          });
          await queries.invalidateQueries({ queryKey: ['user-sessions', tenant, id] });
        }}
      >
        Sign out everywhere
      </ConfirmButton>
      <Button
        variant="default"
        leftSection={<IconDownload size={16} />}
        loading={exporting.isPending}
        onClick={() => exporting.mutate()}
      >
        Export
      </Button>
      <ConfirmButton
        leftSection={<IconTrash size={16} />}
        title={`Delete ${user.email}?`}
        message="The account, its sessions, consents, factors and roles are deleted for good. This cannot be undone."
        confirmLabel="Delete user"
        typeToConfirm={user.email}
        onConfirm={async () => {
          await unwrap(api.DELETE('/v2/admin/tenants/{tenant}/users/{id}', path));
          notifications.show({ color: 'green', message: `${user.email} was deleted.` });
          queries.removeQueries({ queryKey: userKey(refOf) });
          await queries.invalidateQueries({ queryKey: ['users', tenant] });
          void navigate(`/t/${tenant}/users`);
        }}
      >
        Delete
      </ConfirmButton>
    </Group>
  );
}

function SetPassword({ user, refOf, onDone }: { user: UserRecord; refOf: UserRef; onDone: () => unknown }) {
  const [opened, { open, close }] = useDisclosure(false);
  const [password, setPassword] = useState('');
  const [signOut, setSignOut] = useState(true);
  const set = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v2/admin/tenants/{tenant}/users/{id}/password', {
          params: { path: refOf },
          body: { password, sign_out: signOut },
        }),
      ),
    onSuccess: (done) => {
      notifications.show({
        color: 'green',
        message: signOut
          ? `Password set; ${done.sessions_revoked} session${done.sessions_revoked === 1 ? '' : 's'} ended.`
          : 'Password set.',
      });
      dismiss();
      void onDone();
    },
  });
  const dismiss = () => {
    setPassword('');
    set.reset();
    close();
  };
  return (
    <>
      <Button variant="default" leftSection={<IconKey size={16} />} onClick={open}>
        Set password
      </Button>
      <Modal
        closeButtonProps={{ 'aria-label': 'Close' }}
        opened={opened}
        onClose={dismiss}
        title={`Set the password of ${user.email}`}
        centered
      >
        <form
          onSubmit={(event) => {
            event.preventDefault();
            set.mutate();
          }}
        >
          <Stack>
            <PasswordInput
              label="New password"
              description="Checked against the tenant’s password policy. Tell the user through a channel you trust."
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              autoComplete="new-password"
              data-autofocus
            />
            <Switch
              label="Also sign them out everywhere"
              checked={signOut}
              onChange={(e) => setSignOut(e.currentTarget.checked)}
            />
            {set.isError && <ErrorAlert error={set.error} />}
            <FormActions onCancel={dismiss} pending={set.isPending} disabled={!password}>
              Set password
            </FormActions>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

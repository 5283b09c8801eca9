// The frame around every screen: the tenant being managed, the navigation, and the operator's menu.
import {
  AppShell,
  Burger,
  Group,
  Menu,
  NavLink,
  ScrollArea,
  Select,
  Text,
  UnstyledButton,
  useComputedColorScheme,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import {
  IconApps,
  IconBuilding,
  IconChevronDown,
  IconGauge,
  IconHistory,
  IconKey,
  IconMailPlus,
  IconSettings,
  IconShieldLock,
  IconUsers,
  IconUserShield,
  IconWebhook,
  IconLock,
} from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import type { ComponentType } from 'react';
import { NavLink as RouterLink, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { api, unwrap } from './api/client';
import { signOut } from './auth';
import { useMe } from './session';

/** The tenant the current screen manages (the `:tenant` of /admin/t/:tenant/…). */
export function useTenant(): string {
  return useParams().tenant ?? 'default';
}

interface NavItem {
  label: string;
  /** Relative to /t/:tenant. */
  path: string;
  icon: ComponentType<{ size?: number; stroke?: number }>;
}

const TENANT_NAV: readonly NavItem[] = [
  { label: 'Overview', path: '', icon: IconGauge },
  { label: 'Users', path: 'users', icon: IconUsers },
  { label: 'Applications', path: 'applications', icon: IconApps },
  { label: 'Roles & APIs', path: 'roles', icon: IconUserShield },
  { label: 'Invitations', path: 'invitations', icon: IconMailPlus },
  { label: 'Webhooks', path: 'webhooks', icon: IconWebhook },
  { label: 'Audit log', path: 'audit', icon: IconHistory },
  { label: 'Signing keys', path: 'keys', icon: IconShieldLock },
  { label: 'Settings', path: 'settings', icon: IconSettings },
];

const INSTALLATION_NAV: readonly NavItem[] = [
  { label: 'Tenants', path: '/tenants', icon: IconBuilding },
  { label: 'API keys', path: '/api-keys', icon: IconKey },
];

function TenantPicker({ tenant }: { tenant: string }) {
  const navigate = useNavigate();
  const location = useLocation();
  const tenants = useQuery({
    queryKey: ['tenants'],
    queryFn: () => unwrap(api.GET('/v2/admin/tenants')),
  });
  const options = (tenants.data?.tenants ?? []).map((t) => ({
    value: t.slug,
    label: `${t.name} (${t.slug})`,
  }));
  if (!options.some((o) => o.value === tenant)) options.unshift({ value: tenant, label: tenant });
  return (
    <Select
      aria-label="Tenant"
      data={options}
      value={tenant}
      searchable
      allowDeselect={false}
      w={220}
      onChange={(slug) => {
        if (!slug) return;
        // Stay on the same kind of screen in the other tenant (its list, not one record).
        const section = /^\/t\/[^/]+\/?([^/]*)/.exec(location.pathname)?.[1] ?? '';
        void navigate(`/t/${slug}/${section}`);
      }}
    />
  );
}

export function Shell() {
  const [opened, { toggle, close }] = useDisclosure();
  const tenant = useTenant();
  const me = useMe();
  const scheme = useComputedColorScheme('light');
  const link = (item: NavItem, to: string) => (
    <NavLink
      key={to}
      component={RouterLink}
      to={to}
      end={item.path === ''}
      label={item.label}
      leftSection={<item.icon size={18} stroke={1.6} />}
      onClick={close}
    />
  );
  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="lg"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Navigation" />
            <Group gap={6} wrap="nowrap">
              <IconLock size={22} color={scheme === 'dark' ? '#a5b4fc' : '#4f46e5'} aria-hidden />
              <Text fw={700} visibleFrom="xs">
                HelloJohn
              </Text>
            </Group>
            <TenantPicker tenant={tenant} />
          </Group>
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <UnstyledButton aria-label={`${me.data?.email ?? ''} account menu`}>
                <Group gap={4} wrap="nowrap">
                  <Text size="sm" visibleFrom="sm" maw={220} truncate>
                    {me.data?.email ?? ''}
                  </Text>
                  <IconChevronDown size={16} />
                </Group>
              </UnstyledButton>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Label>{me.data?.email}</Menu.Label>
              <Menu.Item component="a" href="/docs" target="_blank">
                API reference
              </Menu.Item>
              <Menu.Item color="red" onClick={() => void signOut()}>
                Sign out
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Console">
        <ScrollArea>
          <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pb={4}>
            Tenant {tenant}
          </Text>
          {TENANT_NAV.map((item) => link(item, `/t/${tenant}${item.path ? `/${item.path}` : ''}`))}
          <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="md" pb={4}>
            Installation
          </Text>
          {INSTALLATION_NAV.map((item) => link(item, item.path))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}

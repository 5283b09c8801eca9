// What the user page's tabs share: the user's type, its query, and an empty state that says what is missing.
import { Stack, Text, ThemeIcon } from '@mantine/core';
import { IconInbox } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';

export type UserRecord =
  paths['/v2/admin/tenants/{tenant}/users/{id}']['get']['responses'][200]['content']['application/json'];

export interface UserRef {
  tenant: string;
  id: string;
}

export const userKey = ({ tenant, id }: UserRef) => ['user', tenant, id] as const;

export function useUser(ref: UserRef) {
  return useQuery({
    queryKey: userKey(ref),
    queryFn: () =>
      unwrap(
        api.GET('/v2/admin/tenants/{tenant}/users/{id}', {
          params: { path: { tenant: ref.tenant, id: ref.id } },
        }),
      ),
  });
}

/** A list with nothing in it: what would be there, and how it gets there. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Stack align="center" gap={6} py="xl" px="md">
      <ThemeIcon variant="light" color="gray" size="xl" radius="xl" aria-hidden>
        <IconInbox size={22} stroke={1.5} />
      </ThemeIcon>
      <Text fw={600} ta="center">
        {title}
      </Text>
      {children && (
        <Text size="sm" c="dimmed" ta="center" maw={460}>
          {children}
        </Text>
      )}
    </Stack>
  );
}

/** A wide table that scrolls sideways on a phone; focusable so the keyboard can scroll it too. */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="hj-table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

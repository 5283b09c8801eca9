// What every section of the Settings screen shares: the tenant as stored, a save that changes one settings
// member (PATCH: the member replaces the stored one; null resets it), and the section's frame.
import { Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { ErrorAlert } from '../../components/QueryState';

type PatchBody = NonNullable<
  paths['/v2/admin/tenants/{tenant}']['patch']['requestBody']
>['content']['application/json'];
export type SettingsPatch = NonNullable<PatchBody['settings']>;
export type TenantDetail = Awaited<ReturnType<typeof fetchTenant>>;

function fetchTenant(tenant: string) {
  return unwrap(api.GET('/v2/admin/tenants/{tenant}', { params: { path: { tenant } } }));
}

export function useTenantDetail(tenant: string) {
  return useQuery({ queryKey: ['tenant', tenant], queryFn: () => fetchTenant(tenant) });
}

/** Saves some members of the settings; on success the tenant is read again and the operator told. */
export function useSaveSettings(tenant: string, what: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (settings: SettingsPatch) =>
      unwrap(api.PATCH('/v2/admin/tenants/{tenant}', { params: { path: { tenant } }, body: { settings } })),
    onSuccess: (saved) => {
      queries.setQueryData(['tenant', tenant], saved);
      void queries.invalidateQueries({ queryKey: ['tenants'] });
      notifications.show({ color: 'green', message: `${what} saved.` });
    },
  });
}

/** A section: title, what it does, its fields, and its own Save with the API's error under it. */
export function Section({
  id,
  title,
  description,
  children,
  onSave,
  saving,
  error,
  extra,
  saveLabel = `Save ${title.toLowerCase()}`,
}: {
  id: string;
  title: string;
  description: ReactNode;
  children: ReactNode;
  onSave?: () => void;
  saving?: boolean;
  error?: unknown;
  extra?: ReactNode;
  saveLabel?: string;
}) {
  return (
    <Paper withBorder radius="md" p={{ base: 'md', sm: 'lg' }} component="section" aria-labelledby={id}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onSave?.();
        }}
      >
        <Stack gap="md">
          <div>
            <Title order={2} size="h4" id={id}>
              {title}
            </Title>
            <Text size="sm" c="dimmed" mt={4}>
              {description}
            </Text>
          </div>
          {children}
          {error ? <ErrorAlert error={error} /> : null}
          {(onSave || extra) && (
            <Group justify="flex-end" gap="sm">
              {extra}
              {onSave && (
                <Button type="submit" loading={saving}>
                  {saveLabel}
                </Button>
              )}
            </Group>
          )}
        </Stack>
      </form>
    </Paper>
  );
}

/** A member of the stored settings as an object (absent: empty). */
export function member(detail: TenantDetail, key: keyof TenantDetail['settings']): Record<string, unknown> {
  const value = detail.settings[key];
  return value && typeof value === 'object' ? value : {};
}

/** Drops empty strings and undefined: an empty field means "the default", not "". */
export function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined && v !== '' && v !== null),
  ) as Partial<T>;
}

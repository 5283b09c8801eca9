// The user's roles (what their access tokens' roles and permissions claims carry): assign from the
// tenant's roles, remove one.
import { Badge, Button, Group, MultiSelect, Stack, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ErrorAlert, QueryState } from '../../components/QueryState';
import { Empty, TableScroll, type UserRef } from './common';

export function Roles({ refOf }: { refOf: UserRef }) {
  const queries = useQueryClient();
  const key = ['user-roles', refOf.tenant, refOf.id];
  const held = useQuery({
    queryKey: key,
    queryFn: () =>
      unwrap(api.GET('/v2/admin/tenants/{tenant}/users/{id}/roles', { params: { path: refOf } })),
  });
  const tenantRoles = useQuery({
    queryKey: ['roles', refOf.tenant],
    queryFn: () =>
      unwrap(api.GET('/v2/admin/tenants/{tenant}/roles', { params: { path: { tenant: refOf.tenant } } })),
  });
  const [picked, setPicked] = useState<string[]>([]);
  const assign = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v2/admin/tenants/{tenant}/users/{id}/roles', {
          params: { path: refOf },
          body: { roles: picked },
        }),
      ),
    onSuccess: (data) => {
      queries.setQueryData(key, data);
      notifications.show({ color: 'green', message: `Assigned ${picked.join(', ')}.` });
      setPicked([]);
    },
  });
  const heldNames = new Set((held.data?.roles ?? []).map((r) => r.name));
  const options = (tenantRoles.data?.roles ?? [])
    .filter((r) => !heldNames.has(r.name))
    .map((r) => ({ value: r.name, label: r.description ? `${r.name} — ${r.description}` : r.name }));
  return (
    <Stack gap="lg">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (picked.length) assign.mutate();
        }}
      >
        <Group align="end" gap="sm">
          <MultiSelect
            label="Assign roles"
            placeholder={options.length ? 'Pick roles' : undefined}
            data={options}
            value={picked}
            onChange={setPicked}
            searchable
            clearable
            nothingFoundMessage="No role of that name"
            disabled={tenantRoles.isPending}
            error={tenantRoles.isError ? tenantRoles.error.message : undefined}
            description={
              tenantRoles.isSuccess && options.length === 0
                ? 'The user holds every role of the tenant (roles are created under Roles & APIs).'
                : undefined
            }
            style={{ flex: '1 1 280px' }}
            maw={520}
          />
          <Button type="submit" disabled={!picked.length} loading={assign.isPending}>
            Assign
          </Button>
        </Group>
        {assign.isError && (
          <Stack mt="sm">
            <ErrorAlert error={assign.error} />
          </Stack>
        )}
      </form>
      <QueryState query={held}>
        {({ roles }) =>
          roles.length === 0 ? (
            <Empty title="No roles">
              Roles assigned here put their names and permissions in the user’s access tokens.
            </Empty>
          ) : (
            <TableScroll label="Roles">
              <Table verticalSpacing="sm" miw={560} aria-label="Roles">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Role</Table.Th>
                    <Table.Th>Permissions</Table.Th>
                    <Table.Th>
                      <span className="hj-sr-only">Actions</span>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {roles.map((role) => (
                    <Table.Tr key={role.name}>
                      <Table.Td>
                        <Group gap={6}>
                          <Text size="sm" fw={600}>
                            {role.name}
                          </Text>
                          {role.system && <Badge color="gray">System</Badge>}
                        </Group>
                        {role.description && (
                          <Text size="xs" c="dimmed">
                            {role.description}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        {role.permissions.length === 0 ? (
                          <Text size="sm" c="dimmed">
                            None
                          </Text>
                        ) : (
                          <Group gap={4}>
                            {role.permissions.map((p) => (
                              <Badge key={`${p.resource} ${p.permission}`} variant="outline" tt="none">
                                {p.permission}
                              </Badge>
                            ))}
                          </Group>
                        )}
                      </Table.Td>
                      <Table.Td ta="right">
                        <ConfirmButton
                          size="xs"
                          title={`Remove the role ${role.name}?`}
                          message="Tokens issued from now on no longer carry it or its permissions."
                          confirmLabel="Remove role"
                          onConfirm={async () => {
                            const data = await unwrap(
                              api.DELETE('/v2/admin/tenants/{tenant}/users/{id}/roles', {
                                params: { path: refOf },
                                body: { roles: [role.name] },
                              }),
                            );
                            queries.setQueryData(key, data);
                            notifications.show({ color: 'green', message: `${role.name} removed.` });
                          }}
                        >
                          Remove
                        </ConfirmButton>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </TableScroll>
          )
        }
      </QueryState>
    </Stack>
  );
}

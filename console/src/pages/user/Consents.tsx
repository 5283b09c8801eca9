// The apps the user has consented to, with the scopes; revoking makes the app ask again.
import { Badge, Group, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { ConfirmButton } from '../../components/ConfirmButton';
import { QueryState } from '../../components/QueryState';
import { formatDate } from '../../format';
import { Empty, TableScroll, type UserRef } from './common';

export function Consents({ refOf }: { refOf: UserRef }) {
  const queries = useQueryClient();
  const key = ['user-consents', refOf.tenant, refOf.id];
  const consents = useQuery({
    queryKey: key,
    queryFn: () =>
      unwrap(api.GET('/v2/admin/tenants/{tenant}/users/{id}/consents', { params: { path: refOf } })),
  });
  return (
    <QueryState query={consents}>
      {({ consents: list }) =>
        list.length === 0 ? (
          <Empty title="No consents">
            When the user allows a third-party app to access their account, the app and the scopes they
            granted appear here.
          </Empty>
        ) : (
          <TableScroll label="Consents">
            <Table verticalSpacing="sm" miw={640} aria-label="Consents">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Application</Table.Th>
                  <Table.Th>Scopes</Table.Th>
                  <Table.Th>Granted</Table.Th>
                  <Table.Th>
                    <span className="hj-sr-only">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((c) => (
                  <Table.Tr key={c.client_id}>
                    <Table.Td>
                      <Text size="sm" fw={600}>
                        {c.client_name ?? c.client_id}
                      </Text>
                      <Text size="xs" c="dimmed" className="hj-mono">
                        {c.client_id}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {c.scopes.map((scope) => (
                          <Badge key={scope} variant="outline" tt="none">
                            {scope}
                          </Badge>
                        ))}
                      </Group>
                    </Table.Td>
                    <Table.Td>{formatDate(c.updated_at)}</Table.Td>
                    <Table.Td ta="right">
                      <ConfirmButton
                        size="xs"
                        title={`Revoke the consent to ${c.client_name ?? c.client_id}?`}
                        message="The app asks the user again next time, and its refresh tokens for this user stop working."
                        confirmLabel="Revoke consent"
                        onConfirm={async () => {
                          await unwrap(
                            api.DELETE('/v2/admin/tenants/{tenant}/users/{id}/consents/{client_id}', {
                              params: { path: { ...refOf, client_id: c.client_id } },
                            }),
                          );
                          notifications.show({ color: 'green', message: 'Consent revoked.' });
                          await queries.invalidateQueries({ queryKey: key });
                        }}
                      >
                        Revoke
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
  );
}

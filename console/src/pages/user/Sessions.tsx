// The user's live sessions (browsers and API/refresh-token sessions), each of which can be ended.
import { Badge, Group, Stack, Table, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { ConfirmButton } from '../../components/ConfirmButton';
import { QueryState } from '../../components/QueryState';
import { formatDate } from '../../format';
import { Empty, TableScroll, type UserRef } from './common';

export function Sessions({ refOf }: { refOf: UserRef }) {
  const key = ['user-sessions', refOf.tenant, refOf.id];
  const queries = useQueryClient();
  const sessions = useQuery({
    queryKey: key,
    queryFn: () =>
      unwrap(api.GET('/v2/admin/tenants/{tenant}/users/{id}/sessions', { params: { path: refOf } })),
  });
  return (
    <QueryState query={sessions}>
      {({ sessions: list }) =>
        list.length === 0 ? (
          <Empty title="No live sessions">
            A session appears here when the user signs in to an app or the account page, and goes when it
            expires, they sign out, or you end it.
          </Empty>
        ) : (
          <TableScroll label="Sessions">
            <Table verticalSpacing="sm" miw={760} aria-label="Sessions">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Session</Table.Th>
                  <Table.Th>Device</Table.Th>
                  <Table.Th>Started</Table.Th>
                  <Table.Th>Last seen</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th>
                    <span className="hj-sr-only">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((s) => (
                  <Table.Tr key={s.id}>
                    <Table.Td>
                      <Stack gap={4}>
                        <Group gap={4}>
                          <Badge color={s.kind === 'browser' ? 'indigo' : 'gray'}>
                            {s.kind === 'browser' ? 'Browser' : 'API'}
                          </Badge>
                          {s.offline && <Badge color="grape">Offline</Badge>}
                        </Group>
                        {s.client_id && (
                          <Text size="xs" c="dimmed" className="hj-mono">
                            {s.client_id}
                          </Text>
                        )}
                      </Stack>
                    </Table.Td>
                    <Table.Td maw={280}>
                      <Tooltip label={s.user_agent ?? 'Unknown'} multiline maw={360} withArrow>
                        <Text size="sm" truncate>
                          {s.user_agent ?? 'Unknown browser'}
                        </Text>
                      </Tooltip>
                      <Text size="xs" c="dimmed">
                        {s.ip ?? 'IP unknown'}
                      </Text>
                    </Table.Td>
                    <Table.Td>{formatDate(s.created_at)}</Table.Td>
                    <Table.Td>{formatDate(s.last_seen_at)}</Table.Td>
                    <Table.Td>{formatDate(s.expires_at)}</Table.Td>
                    <Table.Td ta="right">
                      <ConfirmButton
                        size="xs"
                        title="End this session?"
                        message="The device or app using it is signed out and its refresh token stops working."
                        confirmLabel="End session"
                        aria-label={`Revoke session started ${formatDate(s.created_at)}`}
                        onConfirm={async () => {
                          await unwrap(
                            api.DELETE('/v2/admin/tenants/{tenant}/users/{id}/sessions/{sid}', {
                              params: { path: { ...refOf, sid: s.id } },
                            }),
                          );
                          notifications.show({ color: 'green', message: 'Session ended.' });
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

// The user's audit trail, newest first, one page at a time (the audit log's keyset cursor), narrowed by
// event type (user.login, or a prefix such as user.).
import { PageButtons, useCursorPages } from '../../components/CursorPages';
import { Badge, Code, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconFilter } from '@tabler/icons-react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { QueryState } from '../../components/QueryState';
import { formatDate } from '../../format';
import { Empty, TableScroll, type UserRef } from './common';

const PAGE = 25;

function details(data: Record<string, unknown>): string {
  const entries = Object.entries(data).filter(([, v]) => v !== null && v !== undefined);
  return entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' · ');
}

export function Activity({ refOf }: { refOf: UserRef }) {
  const [typed, setTyped] = useState('');
  const [type] = useDebouncedValue(typed.trim(), 300);
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const events = useQuery({
    queryKey: ['user-audit', refOf.tenant, refOf.id, type, cursor],
    queryFn: () =>
      unwrap(
        api.GET('/v2/admin/tenants/{tenant}/audit', {
          params: {
            path: { tenant: refOf.tenant },
            query: { user_id: refOf.id, limit: String(PAGE), type: type || undefined, cursor },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <TextInput
        label="Event type"
        description="An exact type (user.login) or a prefix (user.)"
        placeholder="user."
        leftSection={<IconFilter size={16} />}
        value={typed}
        onChange={(e) => {
          setTyped(e.currentTarget.value);
          pages.reset();
        }}
        mb="md"
        maw={360}
      />
      <QueryState query={events}>
        {(data) =>
          data.events.length === 0 ? (
            <Empty title={type ? `No ${type} events` : 'No activity yet'}>
              Sign-ins, failed attempts, password and profile changes, and what admins did to this account are
              recorded here.
            </Empty>
          ) : (
            <>
              <TableScroll label="Activity">
                <Table verticalSpacing="sm" miw={720} aria-label="Activity">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>When</Table.Th>
                      <Table.Th>Event</Table.Th>
                      <Table.Th>From</Table.Th>
                      <Table.Th>Details</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {data.events.map((event) => (
                      <Table.Tr key={event.id}>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDate(event.created_at)}</Table.Td>
                        <Table.Td>
                          <Badge
                            tt="none"
                            color={/fail|denied|blocked|locked/.test(event.type) ? 'red' : 'indigo'}
                          >
                            {event.type}
                          </Badge>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm">{event.ip ?? '—'}</Text>
                          {event.user_agent && (
                            <Text size="xs" c="dimmed" truncate maw={220} title={event.user_agent}>
                              {event.user_agent}
                            </Text>
                          )}
                        </Table.Td>
                        <Table.Td>
                          {Object.keys(event.data).length ? (
                            <Code className="hj-break" style={{ whiteSpace: 'normal' }}>
                              {details(event.data)}
                            </Code>
                          ) : (
                            <Text c="dimmed">—</Text>
                          )}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </TableScroll>
            </>
          )
        }
      </QueryState>
      <PageButtons pages={pages} nextCursor={events.data?.next_cursor} />
    </>
  );
}

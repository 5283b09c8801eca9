// Audit log: the tenant's events newest first, filtered by type (or family), user and time; one page at a
// time (cursor); a row opens to its data; the same selection exported as NDJSON.
import {
  Anchor,
  Autocomplete,
  Button,
  Code,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  VisuallyHidden,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconChevronDown, IconChevronRight, IconDownload } from '@tabler/icons-react';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import { PageHeader } from '../components/PageHeader';
import { QueryState } from '../components/QueryState';
import { eventFilterOptions, useEventTypes } from '../event-types';
import { formatDate } from '../format';
import { PageButtons, useCursorPages } from '../components/CursorPages';
import { useTenant } from '../Shell';

const PAGE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A datetime-local value (the browser's time zone) as RFC 3339, or undefined. */
function instant(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export default function Audit() {
  const tenant = useTenant();
  // The filter takes a type or a family prefix; `*` (everything) is no filter at all.
  const typeOptions = eventFilterOptions(useEventTypes(), false).slice(1);
  const [typeInput, setTypeInput] = useState('');
  const [userInput, setUserInput] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [type] = useDebouncedValue(typeInput.trim(), 300);
  const [user] = useDebouncedValue(userInput.trim(), 300);
  const pages = useCursorPages();
  const [open, setOpen] = useState<string | null>(null);
  const cursor = pages.cursor;
  const userError = user && !UUID.test(user) ? 'A user id (a UUID, as on the user’s page).' : null;
  const filters = {
    type: type || undefined,
    user_id: user && !userError ? user : undefined,
    from: instant(from),
    to: instant(to),
  };
  const events = useQuery({
    queryKey: ['audit', tenant, filters, cursor],
    queryFn: () =>
      unwrap(
        api.GET('/v2/admin/tenants/{tenant}/audit', {
          params: { path: { tenant }, query: { ...filters, cursor, limit: String(PAGE) } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const exporting = useMutation({
    mutationFn: async () => {
      const blob = await unwrap(
        api.GET('/v2/admin/tenants/{tenant}/audit/export', {
          params: { path: { tenant }, query: filters },
          parseAs: 'blob',
        }),
      );
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `audit-${tenant}-${new Date().toISOString().slice(0, 10)}.ndjson`;
      link.click();
      // The click has handed the blob to the download; the URL is not needed after this turn.
      setTimeout(() => URL.revokeObjectURL(url), 0);
    },
    onError: (error) =>
      notifications.show({ color: 'red', title: 'The export failed', message: error.message }),
  });
  // Any change of filter starts again from the newest page.
  const restart =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      pages.reset();
      setOpen(null);
    };
  return (
    <>
      <PageHeader
        title="Audit log"
        description="What happened in this tenant, and who did it. Never passwords, tokens or secrets."
        actions={
          <Button
            variant="default"
            leftSection={<IconDownload size={16} />}
            loading={exporting.isPending}
            onClick={() => exporting.mutate()}
          >
            Export NDJSON
          </Button>
        }
      />
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} mb="md">
        <Autocomplete
          label="Event type"
          description="A type or a family (user.*)"
          placeholder="All events"
          data={typeOptions}
          value={typeInput}
          onChange={restart(setTypeInput)}
          limit={60}
          maxDropdownHeight={260}
          clearable
        />
        <TextInput
          label="User id"
          description="Events of one user"
          placeholder="Any user"
          value={userInput}
          onChange={(e) => restart(setUserInput)(e.currentTarget.value)}
          error={userError}
          classNames={{ input: 'hj-mono' }}
        />
        <TextInput
          label="From"
          description="Inclusive, your local time"
          type="datetime-local"
          value={from}
          onChange={(e) => restart(setFrom)(e.currentTarget.value)}
        />
        <TextInput
          label="To"
          description="Exclusive, your local time"
          type="datetime-local"
          value={to}
          onChange={(e) => restart(setTo)(e.currentTarget.value)}
        />
      </SimpleGrid>
      <QueryState query={events}>
        {(data) => (
          <>
            <div className="hj-table-scroll">
              <Table verticalSpacing="sm" miw={720} className="hj-nowrap">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th w={40}>
                      <VisuallyHidden>Details</VisuallyHidden>
                    </Table.Th>
                    {/* The event first: on a narrow screen it is what shows before scrolling. */}
                    <Table.Th>Event</Table.Th>
                    <Table.Th>Time</Table.Th>
                    <Table.Th>User</Table.Th>
                    <Table.Th>IP address</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.events.map((event) => (
                    <Fragment key={event.id}>
                      <Table.Tr data-event-type={event.type}>
                        <Table.Td>
                          <Button
                            variant="subtle"
                            size="compact-sm"
                            px={4}
                            aria-expanded={open === event.id}
                            aria-label={`Details of ${event.type} at ${formatDate(event.created_at)}`}
                            onClick={() => setOpen(open === event.id ? null : event.id)}
                          >
                            {open === event.id ? (
                              <IconChevronDown size={16} />
                            ) : (
                              <IconChevronRight size={16} />
                            )}
                          </Button>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" ff="monospace">
                            {event.type}
                          </Text>
                        </Table.Td>
                        <Table.Td>{formatDate(event.created_at)}</Table.Td>
                        <Table.Td>
                          {event.user_id ? (
                            <Anchor
                              component={Link}
                              to={`/t/${tenant}/users/${event.user_id}`}
                              size="sm"
                              className="hj-mono"
                            >
                              {event.user_id.slice(0, 8)}…
                            </Anchor>
                          ) : (
                            <Text c="dimmed">—</Text>
                          )}
                        </Table.Td>
                        <Table.Td>{event.ip ?? <Text c="dimmed">—</Text>}</Table.Td>
                      </Table.Tr>
                      {open === event.id && (
                        <Table.Tr>
                          <Table.Td colSpan={5} style={{ whiteSpace: 'normal' }}>
                            <Stack gap="xs" py="xs">
                              {event.user_id && (
                                <Text size="sm">
                                  User <Code>{event.user_id}</Code>
                                </Text>
                              )}
                              {event.user_agent && (
                                <Text size="sm">
                                  User agent <Code>{event.user_agent}</Code>
                                </Text>
                              )}
                              <Code block className="hj-json" aria-label={`Data of ${event.type}`}>
                                {JSON.stringify(event.data, null, 2)}
                              </Code>
                            </Stack>
                          </Table.Td>
                        </Table.Tr>
                      )}
                    </Fragment>
                  ))}
                </Table.Tbody>
              </Table>
            </div>
            {data.events.length === 0 && (
              <Text c="dimmed" ta="center" py="xl">
                No events match these filters.
              </Text>
            )}
            <PageButtons pages={pages} nextCursor={data.next_cursor} labels={['Newer', 'Older']} />
          </>
        )}
      </QueryState>
    </>
  );
}

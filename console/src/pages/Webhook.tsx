// One webhook endpoint: its settings, its secret (rotated, shown once), a test event, deletion, and the
// delivery log (newest first, cursor pages, each delivery's attempts and body) with replay.
import {
  Anchor,
  Badge,
  Button,
  Card,
  Code,
  Group,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Textarea,
  Title,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconAlertCircle,
  IconArrowLeft,
  IconChevronDown,
  IconChevronRight,
  IconCircleCheck,
  IconRefresh,
  IconSend,
} from '@tabler/icons-react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { ConfirmButton } from '../components/ConfirmButton';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, QueryState } from '../components/QueryState';
import { formatDate } from '../format';
import { PageButtons, useCursorPages } from '../components/CursorPages';
import { useTenant } from '../Shell';
import { EventsInput, eventsProblem } from './webhooks/EventsInput';
import { SecretShown } from './webhooks/SecretShown';

type Endpoint =
  paths['/v2/admin/tenants/{tenant}/webhooks/{id}']['get']['responses'][200]['content']['application/json'];
type Delivery =
  paths['/v2/admin/tenants/{tenant}/webhooks/{id}/deliveries']['get']['responses'][200]['content']['application/json']['deliveries'][number];
type StatusFilter = 'all' | 'pending' | 'delivered' | 'failed';

const PAGE = 20;

export default function Webhook() {
  const tenant = useTenant();
  const id = useParams().id ?? '';
  const endpoint = useQuery({
    queryKey: ['webhook', tenant, id],
    queryFn: () =>
      unwrap(api.GET('/v2/admin/tenants/{tenant}/webhooks/{id}', { params: { path: { tenant, id } } })),
  });
  return (
    <>
      <Anchor component={Link} to={`/t/${tenant}/webhooks`} size="sm">
        <Group gap={4} component="span">
          <IconArrowLeft size={14} /> Webhooks
        </Group>
      </Anchor>
      <QueryState query={endpoint}>
        {(hook) => (
          <>
            <PageHeader
              title="Webhook endpoint"
              description={
                <Text span className="hj-mono" size="sm">
                  {hook.url}
                </Text>
              }
              actions={
                hook.enabled ? <Badge color="green">Enabled</Badge> : <Badge color="gray">Disabled</Badge>
              }
            />
            <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg" mb="xl">
              {/* Keyed by the saved version: a save (or another change) starts the form afresh. */}
              <Settings key={hook.updated_at} tenant={tenant} hook={hook} />
              <Actions tenant={tenant} hook={hook} />
            </SimpleGrid>
            <DeliveryLog tenant={tenant} hook={hook} />
          </>
        )}
      </QueryState>
    </>
  );
}

function Settings({ tenant, hook }: { tenant: string; hook: Endpoint }) {
  const [url, setUrl] = useState(hook.url);
  const [events, setEvents] = useState<string[]>(hook.events);
  const [enabled, setEnabled] = useState(hook.enabled);
  const [description, setDescription] = useState(hook.description);
  const [eventsError, setEventsError] = useState<string | null>(null);
  const queries = useQueryClient();
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT('/v2/admin/tenants/{tenant}/webhooks/{id}', {
          params: { path: { tenant, id: hook.id } },
          body: { url: url.trim(), events, enabled, description: description.trim() },
        }),
      ),
    onSuccess: (saved) => {
      queries.setQueryData(['webhook', tenant, hook.id], saved);
      void queries.invalidateQueries({ queryKey: ['webhooks', tenant] });
      notifications.show({ color: 'green', message: 'The endpoint was saved.' });
    },
  });
  const changed =
    url !== hook.url ||
    enabled !== hook.enabled ||
    description !== hook.description ||
    events.join('\n') !== hook.events.join('\n');
  return (
    <Card withBorder padding="lg">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const problem = eventsProblem(events);
          setEventsError(problem);
          if (!problem) save.mutate();
        }}
      >
        <Stack>
          <Title order={2} size="h4">
            Settings
          </Title>
          <TextInput
            label="URL"
            type="url"
            required
            value={url}
            onChange={(e) => setUrl(e.currentTarget.value)}
          />
          <EventsInput value={events} onChange={setEvents} error={eventsError} />
          <Textarea
            label="Description"
            autosize
            minRows={1}
            maxLength={500}
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
          />
          <Switch
            label="Enabled"
            description="Disabled: no new deliveries; pending ones wait until it is enabled again."
            checked={enabled}
            onChange={(e) => setEnabled(e.currentTarget.checked)}
          />
          {save.isError && <ErrorAlert error={save.error} />}
          <Group justify="flex-end">
            <Button type="submit" loading={save.isPending} disabled={!changed}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function Actions({ tenant, hook }: { tenant: string; hook: Endpoint }) {
  const [secret, setSecret] = useState<string | null>(null);
  const queries = useQueryClient();
  const navigate = useNavigate();
  const test = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v2/admin/tenants/{tenant}/webhooks/{id}/test', {
          params: { path: { tenant, id: hook.id } },
        }),
      ),
    onSuccess: () => {
      notifications.show({ color: 'green', message: 'A webhook.test event is on its way.' });
      void queries.invalidateQueries({ queryKey: ['deliveries', tenant, hook.id] });
    },
  });
  return (
    <Stack gap="lg">
      <Card withBorder padding="lg">
        <Stack>
          <Title order={2} size="h4">
            Test
          </Title>
          <Text size="sm" c="dimmed">
            Sends a webhook.test event to this endpoint only, whatever its events. Follow it in the delivery
            log below.
          </Text>
          {test.isError && <ErrorAlert error={test.error} />}
          <Group>
            <Button
              variant="light"
              leftSection={<IconSend size={16} />}
              loading={test.isPending}
              onClick={() => test.mutate()}
            >
              Send test event
            </Button>
          </Group>
        </Stack>
      </Card>
      <Card withBorder padding="lg">
        <Stack>
          <Title order={2} size="h4">
            Signing secret
          </Title>
          <Text size="sm" c="dimmed">
            Shown only when it is made. A new secret signs every delivery from now on, retries included:
            update your receiver right after.
          </Text>
          {secret && <SecretShown secret={secret} />}
          <Group>
            <ConfirmButton
              title="Rotate the signing secret?"
              message="The current secret stops working at once: deliveries are signed with the new one, which your receiver must use from now on."
              confirmLabel="Rotate secret"
              onConfirm={async () => {
                const rotated = await unwrap(
                  api.POST('/v2/admin/tenants/{tenant}/webhooks/{id}/rotate-secret', {
                    params: { path: { tenant, id: hook.id } },
                  }),
                );
                setSecret(rotated.secret);
              }}
            >
              Rotate secret
            </ConfirmButton>
          </Group>
        </Stack>
      </Card>
      <Card withBorder padding="lg">
        <Stack>
          <Title order={2} size="h4">
            Delete
          </Title>
          <Text size="sm" c="dimmed">
            The endpoint and its delivery log, pending deliveries included.
          </Text>
          <Group>
            <ConfirmButton
              title="Delete this endpoint?"
              message={`${hook.url} will receive no more events, and its delivery log is deleted with it.`}
              confirmLabel="Delete endpoint"
              onConfirm={async () => {
                await unwrap(
                  api.DELETE('/v2/admin/tenants/{tenant}/webhooks/{id}', {
                    params: { path: { tenant, id: hook.id } },
                  }),
                );
                void queries.invalidateQueries({ queryKey: ['webhooks', tenant] });
                notifications.show({ color: 'green', message: 'The endpoint was deleted.' });
                void navigate(`/t/${tenant}/webhooks`);
              }}
            >
              Delete endpoint
            </ConfirmButton>
          </Group>
        </Stack>
      </Card>
    </Stack>
  );
}

const STATUS_COLOR: Record<Delivery['status'], string> = {
  pending: 'yellow',
  delivered: 'green',
  failed: 'red',
};

function DeliveryLog({ tenant, hook }: { tenant: string; hook: Endpoint }) {
  const [status, setStatus] = useState<StatusFilter>('all');
  const pages = useCursorPages();
  const [open, setOpen] = useState<string | null>(null);
  const cursor = pages.cursor;
  const deliveries = useQuery({
    queryKey: ['deliveries', tenant, hook.id, status, cursor],
    queryFn: () =>
      unwrap(
        api.GET('/v2/admin/tenants/{tenant}/webhooks/{id}/deliveries', {
          params: {
            path: { tenant, id: hook.id },
            query: { limit: String(PAGE), cursor, status: status === 'all' ? undefined : status },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    // While something is on its way, follow it closely; the newest page also picks up new deliveries
    // without a click (an event may be sent between loading the page and the next look).
    refetchInterval: (query) =>
      query.state.data?.deliveries.some((d) => d.status === 'pending')
        ? 2000
        : cursor === undefined
          ? 5000
          : false,
  });
  return (
    <section aria-labelledby="delivery-log">
      <Group justify="space-between" mb="sm" gap="sm">
        <Title order={2} size="h3" id="delivery-log">
          Delivery log
        </Title>
        <Group gap="sm">
          <SegmentedControl<StatusFilter>
            aria-label="Delivery status"
            size="xs"
            value={status}
            onChange={(value) => {
              setStatus(value);
              pages.reset();
            }}
            data={[
              { value: 'all', label: 'All' },
              { value: 'pending', label: 'Pending' },
              { value: 'delivered', label: 'Delivered' },
              { value: 'failed', label: 'Failed' },
            ]}
          />
          <Button
            size="xs"
            variant="default"
            leftSection={<IconRefresh size={14} />}
            loading={deliveries.isFetching && !deliveries.isPending}
            onClick={() => void deliveries.refetch()}
          >
            Refresh
          </Button>
        </Group>
      </Group>
      <QueryState query={deliveries}>
        {(data) => (
          <>
            <div className="hj-table-scroll">
              <Table verticalSpacing="sm" miw={760} className="hj-nowrap">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th w={40}>
                      <VisuallyHidden>Details</VisuallyHidden>
                    </Table.Th>
                    <Table.Th>Event</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Attempts</Table.Th>
                    <Table.Th>Response</Table.Th>
                    <Table.Th>Time</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>Actions</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.deliveries.map((d) => (
                    <Fragment key={d.id}>
                      <Table.Tr data-delivery={d.id}>
                        <Table.Td>
                          <Button
                            variant="subtle"
                            size="compact-sm"
                            px={4}
                            aria-expanded={open === d.id}
                            aria-label={`Details of delivery ${d.id}`}
                            onClick={() => setOpen(open === d.id ? null : d.id)}
                          >
                            {open === d.id ? <IconChevronDown size={16} /> : <IconChevronRight size={16} />}
                          </Button>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" ff="monospace">
                            {d.event_type}
                          </Text>
                          {d.replay_of && (
                            <Text size="xs" c="dimmed">
                              Replay
                            </Text>
                          )}
                        </Table.Td>
                        <Table.Td>
                          <Badge color={STATUS_COLOR[d.status]} miw="max-content">
                            {d.status}
                          </Badge>
                        </Table.Td>
                        <Table.Td>{d.attempts}</Table.Td>
                        <Table.Td>
                          <Response code={d.last_status_code} error={d.last_error} />
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm">{formatDate(d.created_at)}</Text>
                          {d.status === 'pending' && d.next_attempt_at && d.attempts > 0 && (
                            <Text size="xs" c="dimmed">
                              Retry {formatDate(d.next_attempt_at)}
                            </Text>
                          )}
                        </Table.Td>
                        <Table.Td ta="right">
                          <Replay tenant={tenant} hook={hook} delivery={d} />
                        </Table.Td>
                      </Table.Tr>
                      {open === d.id && (
                        <Table.Tr>
                          <Table.Td colSpan={7} style={{ whiteSpace: 'normal' }}>
                            <DeliveryDetails delivery={d} />
                          </Table.Td>
                        </Table.Tr>
                      )}
                    </Fragment>
                  ))}
                </Table.Tbody>
              </Table>
            </div>
            {data.deliveries.length === 0 && (
              <Text c="dimmed" ta="center" py="xl">
                {status === 'all'
                  ? 'Nothing sent yet. Matching events, test events and replays appear here.'
                  : `No ${status} deliveries.`}
              </Text>
            )}
            <PageButtons pages={pages} nextCursor={data.next_cursor} labels={['Newer', 'Older']} />
          </>
        )}
      </QueryState>
    </section>
  );
}

function Response({ code, error }: { code: number | null; error: string | null }) {
  if (code === null && !error) return <Text c="dimmed">—</Text>;
  return (
    <Stack gap={0}>
      {code !== null && (
        <Group gap={4} wrap="nowrap">
          {/* The colour is the icon's: coloured small text would not keep its contrast in both schemes. */}
          {code >= 200 && code < 300 ? (
            <IconCircleCheck size={16} color="var(--mantine-color-green-6)" aria-hidden />
          ) : (
            <IconAlertCircle size={16} color="var(--mantine-color-red-6)" aria-hidden />
          )}
          <Text size="sm" fw={600}>
            HTTP {code}
          </Text>
        </Group>
      )}
      {error && (
        <Text size="xs" c="dimmed" maw={220} truncate title={error}>
          {error}
        </Text>
      )}
    </Stack>
  );
}

function Replay({ tenant, hook, delivery }: { tenant: string; hook: Endpoint; delivery: Delivery }) {
  const queries = useQueryClient();
  const replay = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v2/admin/tenants/{tenant}/webhooks/{id}/deliveries/{delivery_id}/replay', {
          params: { path: { tenant, id: hook.id, delivery_id: delivery.id } },
        }),
      ),
    onSuccess: () => {
      notifications.show({ color: 'green', message: `${delivery.event_type} is sent again.` });
      void queries.invalidateQueries({ queryKey: ['deliveries', tenant, hook.id] });
    },
    onError: (error) =>
      notifications.show({ color: 'red', title: 'The replay failed', message: error.message }),
  });
  const pending = delivery.status === 'pending';
  const button = (
    <Button
      size="compact-sm"
      variant="light"
      disabled={pending}
      loading={replay.isPending}
      onClick={() => replay.mutate()}
      aria-label={`Replay ${delivery.event_type} delivery ${delivery.id}`}
    >
      Replay
    </Button>
  );
  return pending ? (
    <Tooltip label="It is still being sent">
      <span>{button}</span>
    </Tooltip>
  ) : (
    button
  );
}

function DeliveryDetails({ delivery }: { delivery: Delivery }) {
  return (
    <Stack gap="sm" py="xs">
      <Text size="sm">
        Delivery ID <Code>{delivery.id}</Code> · event <Code>{delivery.event_id}</Code>
        {delivery.completed_at && <> · completed {formatDate(delivery.completed_at)}</>}
      </Text>
      {delivery.attempt_log.length > 0 && (
        <div className="hj-table-scroll">
          <Table withTableBorder verticalSpacing={4} fz="sm" miw={480}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Attempt</Table.Th>
                <Table.Th>At</Table.Th>
                <Table.Th>Response</Table.Th>
                <Table.Th>Duration</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {delivery.attempt_log.map((a, i) => (
                <Table.Tr key={a.attempted_at + i}>
                  <Table.Td>{i + 1}</Table.Td>
                  <Table.Td>{formatDate(a.attempted_at)}</Table.Td>
                  <Table.Td>
                    <Response code={a.status_code} error={a.error} />
                  </Table.Td>
                  <Table.Td>{a.duration_ms} ms</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </div>
      )}
      <Text size="sm" fw={600}>
        Body sent
      </Text>
      <Code block className="hj-json">
        {JSON.stringify(delivery.payload, null, 2)}
      </Code>
    </Stack>
  );
}

// Webhooks: the tenant's endpoints (at most 20, so one list), and a new one whose secret is shown once.
import {
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, QueryState } from '../components/QueryState';
import { formatDate } from '../format';
import { useTenant } from '../Shell';
import { EventsInput, eventsProblem } from './webhooks/EventsInput';
import { SecretShown } from './webhooks/SecretShown';
import { FormActions } from '../components/FormActions';

export default function Webhooks() {
  const tenant = useTenant();
  const webhooks = useQuery({
    queryKey: ['webhooks', tenant],
    queryFn: () => unwrap(api.GET('/v2/admin/tenants/{tenant}/webhooks', { params: { path: { tenant } } })),
  });
  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Endpoints that receive this tenant’s events as signed HTTP POSTs."
        actions={<NewWebhook tenant={tenant} />}
      />
      <QueryState query={webhooks}>
        {(data) =>
          data.webhooks.length === 0 ? (
            <Text c="dimmed" ta="center" py="xl">
              No endpoints yet. Add one to receive events such as user.registered or login.failed.
            </Text>
          ) : (
            <div className="hj-table-scroll">
              <Table highlightOnHover verticalSpacing="sm" miw={640}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Endpoint</Table.Th>
                    <Table.Th>Events</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Created</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.webhooks.map((hook) => (
                    <Table.Tr key={hook.id}>
                      <Table.Td maw={380}>
                        <Anchor
                          component={Link}
                          to={`/t/${tenant}/webhooks/${hook.id}`}
                          size="sm"
                          className="hj-mono"
                        >
                          {hook.url}
                        </Anchor>
                        {hook.description && (
                          <Text size="xs" c="dimmed" truncate>
                            {hook.description}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <EventBadges events={hook.events} />
                      </Table.Td>
                      <Table.Td>
                        {hook.enabled ? (
                          <Badge color="green">Enabled</Badge>
                        ) : (
                          <Badge color="gray">Disabled</Badge>
                        )}
                      </Table.Td>
                      <Table.Td>{formatDate(hook.created_at)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </div>
          )
        }
      </QueryState>
    </>
  );
}

/** The first few filters of an endpoint, then how many more. */
export function EventBadges({ events }: { events: readonly string[] }) {
  const shown = events.slice(0, 3);
  return (
    <Group gap={4}>
      {shown.map((e) => (
        <Badge key={e} variant="light" tt="none">
          {e === '*' ? 'every event' : e}
        </Badge>
      ))}
      {events.length > shown.length && (
        <Badge variant="outline" color="gray" tt="none">
          +{events.length - shown.length} more
        </Badge>
      )}
    </Group>
  );
}

function NewWebhook({ tenant }: { tenant: string }) {
  const [opened, { open, close }] = useDisclosure(false);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [enabled, setEnabled] = useState(true);
  const [eventsError, setEventsError] = useState<string | null>(null);
  const queries = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v2/admin/tenants/{tenant}/webhooks', {
          params: { path: { tenant } },
          body: { url: url.trim(), events, enabled, description: description.trim() || undefined },
        }),
      ),
    onSuccess: () => void queries.invalidateQueries({ queryKey: ['webhooks', tenant] }),
  });
  const dismiss = () => {
    const made = create.data;
    setUrl('');
    setDescription('');
    setEvents([]);
    setEnabled(true);
    setEventsError(null);
    create.reset();
    close();
    if (made) void navigate(`/t/${tenant}/webhooks/${made.id}`);
  };
  return (
    <>
      <Button leftSection={<IconPlus size={16} />} onClick={open}>
        Add endpoint
      </Button>
      <Modal
        opened={opened}
        onClose={dismiss}
        title="Add a webhook endpoint"
        centered
        size="lg"
        // Once the secret is on screen, only the button closes: a stray click would lose it.
        closeOnClickOutside={!create.data}
        closeOnEscape={!create.data}
        withCloseButton={!create.data}
        closeButtonProps={{ 'aria-label': 'Close' }}
      >
        {create.data ? (
          <Stack>
            <Text size="sm">
              <Text span className="hj-mono">
                {create.data.url}
              </Text>{' '}
              will receive {create.data.events.join(', ')}.
            </Text>
            <SecretShown secret={create.data.secret} />
            <Group justify="flex-end">
              <Button onClick={dismiss}>I have copied it</Button>
            </Group>
          </Stack>
        ) : (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              const problem = eventsProblem(events);
              setEventsError(problem);
              if (!problem) create.mutate();
            }}
          >
            <Stack>
              <TextInput
                label="URL"
                description="https:// address your server receives events at."
                placeholder="https://example.com/hooks/hellojohn"
                type="url"
                required
                value={url}
                onChange={(e) => setUrl(e.currentTarget.value)}
                data-autofocus
              />
              <EventsInput value={events} onChange={setEvents} error={eventsError} />
              <Textarea
                label="Description"
                placeholder="What receives these events (optional)"
                autosize
                minRows={1}
                maxLength={500}
                value={description}
                onChange={(e) => setDescription(e.currentTarget.value)}
              />
              <Switch
                label="Enabled: send events right away"
                checked={enabled}
                onChange={(e) => setEnabled(e.currentTarget.checked)}
              />
              {create.isError && <ErrorAlert error={create.error} />}
              <FormActions onCancel={dismiss} pending={create.isPending}>
                Add endpoint
              </FormActions>
            </Stack>
          </form>
        )}
      </Modal>
    </>
  );
}

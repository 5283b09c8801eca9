// One application: its credentials and discovery URL, its name and redirect URIs (edited in place), code
// for its library, a new secret (shown once) and deletion (typing the client id).
import {
  Badge,
  Button,
  Divider,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconArrowLeft } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { ConfirmButton } from '../components/ConfirmButton';
import { CopyField } from '../components/CopyField';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, QueryState } from '../components/QueryState';
import { formatDate } from '../format';
import { useTenant } from '../Shell';
import {
  KINDS,
  KindBadge,
  SecretOnce,
  Snippets,
  discoveryUrl,
  kindOf,
  lines,
  uriListError,
  useIssuer,
  type AppClient,
} from './applications/kinds';

function Section({
  title,
  description,
  children,
}: {
  title: string;
  description?: string;
  children: ReactNode;
}) {
  return (
    <Paper withBorder radius="md" p={{ base: 'md', sm: 'lg' }}>
      <Stack gap="md">
        <div>
          <Title order={2} size="h4">
            {title}
          </Title>
          {description && (
            <Text size="sm" c="dimmed">
              {description}
            </Text>
          )}
        </div>
        {children}
      </Stack>
    </Paper>
  );
}

export default function Application() {
  const tenant = useTenant();
  const clientId = useParams().clientId ?? '';
  const client = useQuery({
    queryKey: ['client', tenant, clientId],
    queryFn: () =>
      unwrap(
        api.GET('/v2/admin/tenants/{tenant}/clients/{client_id}', {
          params: { path: { tenant, client_id: clientId } },
        }),
      ),
  });
  return (
    <QueryState query={client}>{(data) => <ApplicationView tenant={tenant} client={data} />}</QueryState>
  );
}

function ApplicationView({ tenant, client }: { tenant: string; client: AppClient }) {
  const issuer = useIssuer(tenant);
  const kind = kindOf(client);
  const queries = useQueryClient();
  const navigate = useNavigate();
  const [secret, setSecret] = useState<string | null>(null);
  const path = { tenant, client_id: client.client_id };

  const rotate = async () => {
    const rotated = await unwrap(
      api.POST('/v2/admin/tenants/{tenant}/clients/{client_id}/rotate-secret', { params: { path } }),
    );
    setSecret(rotated.client_secret ?? null);
  };
  const remove = async () => {
    await unwrap(api.DELETE('/v2/admin/tenants/{tenant}/clients/{client_id}', { params: { path } }));
    void queries.invalidateQueries({ queryKey: ['clients', tenant] });
    notifications.show({ color: 'green', message: `${client.name} was deleted.` });
    void navigate(`/t/${tenant}/applications`);
  };

  return (
    <>
      <PageHeader
        title={client.name}
        description={
          <Group gap={6} component="span">
            <KindBadge client={client} />
            <Badge variant="outline" color="gray">
              {client.type}
            </Badge>
            <Text span size="sm" c="dimmed">
              Created {formatDate(client.created_at)}
            </Text>
          </Group>
        }
        actions={
          <Button
            component={Link}
            to={`/t/${tenant}/applications`}
            variant="default"
            leftSection={<IconArrowLeft size={16} />}
          >
            Applications
          </Button>
        }
      />
      <Stack gap="lg" maw={960}>
        <Section title="Credentials">
          {secret && <SecretOnce secret={secret} />}
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <CopyField label="Client ID" value={client.client_id} />
            {issuer.data ? (
              <CopyField label="Discovery URL" value={discoveryUrl(issuer.data)} />
            ) : issuer.isError ? (
              <ErrorAlert error={issuer.error} onRetry={() => void issuer.refetch()} />
            ) : null}
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <Fact label="Grant types" value={client.grant_types.join(', ')} />
            <Fact label="Token endpoint authentication" value={client.token_endpoint_auth_method} />
            <Fact label="Scopes" value={client.scopes.join(' ') || '—'} />
          </SimpleGrid>
        </Section>

        <Settings tenant={tenant} client={client} />

        {issuer.data && (
          <Section title="Quick start" description={`Code for a ${KINDS[kind].label.toLowerCase()}.`}>
            <Snippets
              kind={kind}
              values={{
                issuer: issuer.data,
                clientId: client.client_id,
                secret,
                redirectUri: client.redirect_uris[0] ?? '',
                postLogoutUri: client.post_logout_redirect_uris[0] ?? '',
              }}
            />
          </Section>
        )}

        <Paper
          withBorder
          radius="md"
          p={{ base: 'md', sm: 'lg' }}
          style={{ borderColor: 'var(--mantine-color-red-outline)' }}
        >
          <Title order={2} size="h4" mb="md">
            Danger zone
          </Title>
          <Stack gap="md">
            {client.type === 'confidential' && (
              <>
                <Group justify="space-between" wrap="wrap" gap="sm">
                  <div style={{ flex: '1 1 280px' }}>
                    <Text fw={500}>Rotate the client secret</Text>
                    <Text size="sm" c="dimmed">
                      A new secret is issued and shown once; the current one stops working at once.
                    </Text>
                  </div>
                  <ConfirmButton
                    variant="default"
                    title="Rotate the client secret?"
                    message={`${client.name} will fail to get tokens until it is given the new secret.`}
                    confirmLabel="Rotate secret"
                    onConfirm={rotate}
                  >
                    Rotate secret
                  </ConfirmButton>
                </Group>
                <Divider />
              </>
            )}
            <Group justify="space-between" wrap="wrap" gap="sm">
              <div style={{ flex: '1 1 280px' }}>
                <Text fw={500}>Delete the application</Text>
                <Text size="sm" c="dimmed">
                  Its sessions, refresh tokens, consents and API grants go with it. This cannot be undone.
                </Text>
              </div>
              <ConfirmButton
                title="Delete this application?"
                message={`${client.name} and everything issued to it will be deleted; its users stay.`}
                confirmLabel="Delete application"
                typeToConfirm={client.client_id}
                onConfirm={remove}
              >
                Delete application
              </ConfirmButton>
            </Group>
          </Stack>
        </Paper>
      </Stack>
    </>
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={600} tt="uppercase">
        {label}
      </Text>
      <Text size="sm" className="hj-mono">
        {value}
      </Text>
    </div>
  );
}

function Settings({ tenant, client }: { tenant: string; client: AppClient }) {
  const kind = kindOf(client);
  const redirects = KINDS[kind].redirects;
  const [name, setName] = useState(client.name);
  const [redirectText, setRedirectText] = useState(client.redirect_uris.join('\n'));
  const [logoutText, setLogoutText] = useState(client.post_logout_redirect_uris.join('\n'));
  const queries = useQueryClient();
  const nameError = name.trim() ? null : 'A name is required.';
  const needsRedirect = client.grant_types.includes('authorization_code');
  const redirectError = redirects ? uriListError(redirectText, kind, needsRedirect) : null;
  const logoutError = redirects ? uriListError(logoutText, kind, false) : null;
  const dirty =
    name !== client.name ||
    redirectText !== client.redirect_uris.join('\n') ||
    logoutText !== client.post_logout_redirect_uris.join('\n');

  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/v2/admin/tenants/{tenant}/clients/{client_id}', {
          params: { path: { tenant, client_id: client.client_id } },
          body: {
            name: name.trim(),
            ...(redirects
              ? { redirect_uris: lines(redirectText), post_logout_redirect_uris: lines(logoutText) }
              : {}),
          },
        }),
      ),
    onSuccess: (updated) => {
      queries.setQueryData(['client', tenant, client.client_id], updated);
      void queries.invalidateQueries({ queryKey: ['clients', tenant] });
      setName(updated.name);
      setRedirectText(updated.redirect_uris.join('\n'));
      setLogoutText(updated.post_logout_redirect_uris.join('\n'));
      notifications.show({ color: 'green', message: 'The application was saved.' });
    },
  });

  return (
    <Section title="Settings">
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (!nameError && !redirectError && !logoutError) save.mutate();
        }}
      >
        <Stack>
          <TextInput
            label="Name"
            required
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={nameError}
            maw={480}
          />
          {redirects && (
            <>
              <Textarea
                label="Redirect URIs"
                description={`One a line. ${KINDS[kind].redirectHint}`}
                required={needsRedirect}
                autosize
                minRows={2}
                classNames={{ input: 'hj-mono' }}
                value={redirectText}
                onChange={(e) => setRedirectText(e.currentTarget.value)}
                error={redirectError}
              />
              <Textarea
                label="Post-logout redirect URIs"
                description="One a line (optional)."
                autosize
                minRows={1}
                classNames={{ input: 'hj-mono' }}
                value={logoutText}
                onChange={(e) => setLogoutText(e.currentTarget.value)}
                error={logoutError}
              />
            </>
          )}
          {save.isError && <ErrorAlert error={save.error} />}
          <Group justify="flex-end">
            <Button type="submit" disabled={!dirty} loading={save.isPending}>
              Save changes
            </Button>
          </Group>
        </Stack>
      </form>
    </Section>
  );
}

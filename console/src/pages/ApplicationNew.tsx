// A new application in three steps: its kind (which decides the client type, grants and redirect rules),
// its name and redirect URIs (checked as the server will), then what the developer needs: the discovery
// URL, the client id, the secret shown once, and code for their library filled with these values.
import {
  Alert,
  Button,
  Group,
  Paper,
  Radio,
  SimpleGrid,
  Stack,
  Stepper,
  Text,
  Textarea,
  TextInput,
  ThemeIcon,
  Title,
} from '@mantine/core';
import { IconArrowLeft, IconArrowRight, IconCircleCheck } from '@tabler/icons-react';
import { useMediaQuery } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import { CopyField } from '../components/CopyField';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert } from '../components/QueryState';
import { useTenant } from '../Shell';
import {
  KINDS,
  SecretOnce,
  Snippets,
  discoveryUrl,
  lines,
  uriListError,
  useIssuer,
  type AppClient,
  type AppKind,
} from './applications/kinds';

export default function ApplicationNew() {
  const tenant = useTenant();
  const issuer = useIssuer(tenant);
  const queries = useQueryClient();
  const [step, setStep] = useState(0);
  const [kind, setKind] = useState<AppKind | null>(null);
  const [name, setName] = useState('');
  const [redirects, setRedirects] = useState('');
  const [logouts, setLogouts] = useState('');
  const [touched, setTouched] = useState(false);
  const info = kind ? KINDS[kind] : null;
  // Phones: the steps without their second line, so the three fit on one row.
  const narrow = useMediaQuery('(max-width: 40em)');

  const nameError = !name.trim()
    ? 'A name is required.'
    : name.trim().length > 200
      ? 'At most 200 characters.'
      : null;
  const redirectError = kind && info?.redirects ? uriListError(redirects, kind, true) : null;
  const logoutError = kind && info?.redirects ? uriListError(logouts, kind, false) : null;

  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v2/admin/tenants/{tenant}/clients', {
          params: { path: { tenant } },
          body: {
            name: name.trim(),
            type: info!.type,
            grant_types: info!.grantTypes,
            ...(info!.redirects
              ? { redirect_uris: lines(redirects), post_logout_redirect_uris: lines(logouts) }
              : { scopes: [] }),
          },
        }),
      ),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ['clients', tenant] });
      setStep(3);
    },
  });

  return (
    <>
      <PageHeader
        title="Create an application"
        description="Register an app or service with this tenant."
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
      <Paper withBorder radius="md" p={{ base: 'md', sm: 'xl' }} maw={960}>
        <Stepper
          active={step}
          onStepClick={create.isSuccess ? undefined : setStep}
          allowNextStepsSelect={false}
          iconSize={narrow ? 28 : undefined}
          styles={{
            content: { paddingTop: 'var(--mantine-spacing-xl)' },
            // Phones: tighter separators, so the three steps stay on one row.
            ...(narrow ? { separator: { marginInline: 6 }, stepBody: { marginInlineStart: 6 } } : {}),
          }}
          size="sm"
        >
          <Stepper.Step
            label="Type"
            description={narrow ? undefined : (info?.label ?? 'What are you building?')}
          >
            <Radio.Group
              value={kind}
              onChange={(value) => setKind(value)}
              label="What kind of application is it?"
              description="This decides how it signs in and whether it gets a secret; it cannot change later."
            >
              <SimpleGrid cols={{ base: 1, sm: 2 }} mt="sm">
                {(Object.keys(KINDS) as AppKind[]).map((key) => {
                  const k = KINDS[key];
                  return (
                    <Radio.Card key={key} value={key} radius="md" p="md" aria-label={k.label}>
                      <Group wrap="nowrap" align="flex-start">
                        <ThemeIcon variant="light" size={40} radius="md">
                          <k.icon size={22} />
                        </ThemeIcon>
                        <Stack gap={4} style={{ flex: 1 }}>
                          <Group justify="space-between" wrap="nowrap">
                            <Text fw={600}>{k.label}</Text>
                            <Radio.Indicator />
                          </Group>
                          <Text size="sm" c="dimmed">
                            {k.summary}
                          </Text>
                        </Stack>
                      </Group>
                    </Radio.Card>
                  );
                })}
              </SimpleGrid>
            </Radio.Group>
            <Group justify="flex-end" mt="xl">
              <Button disabled={!kind} rightSection={<IconArrowRight size={16} />} onClick={() => setStep(1)}>
                Next
              </Button>
            </Group>
          </Stepper.Step>

          <Stepper.Step label="Details" description={narrow ? undefined : 'Name and redirect URIs'}>
            {info && kind && (
              <form
                noValidate
                onSubmit={(event) => {
                  event.preventDefault();
                  setTouched(true);
                  if (nameError || redirectError || logoutError) return;
                  create.mutate();
                }}
              >
                <Stack maw={640}>
                  <TextInput
                    label="Name"
                    description="Shown to users on the consent screen."
                    placeholder={kind === 'm2m' ? 'Nightly billing job' : 'My app'}
                    required
                    value={name}
                    onChange={(e) => setName(e.currentTarget.value)}
                    error={touched && nameError}
                    data-autofocus
                  />
                  {info.redirects ? (
                    <>
                      <Textarea
                        label="Redirect URIs"
                        description={`Where users come back after signing in, one a line. ${info.redirectHint}`}
                        placeholder={info.redirectPlaceholder}
                        required
                        autosize
                        minRows={2}
                        classNames={{ input: 'hj-mono' }}
                        value={redirects}
                        onChange={(e) => setRedirects(e.currentTarget.value)}
                        error={touched && redirectError}
                      />
                      <Textarea
                        label="Post-logout redirect URIs"
                        description="Where users may be sent after signing out, one a line (optional)."
                        autosize
                        minRows={1}
                        classNames={{ input: 'hj-mono' }}
                        value={logouts}
                        onChange={(e) => setLogouts(e.currentTarget.value)}
                        error={touched && logoutError}
                      />
                    </>
                  ) : (
                    <Alert variant="light" color="blue">
                      A machine-to-machine app has no redirect URIs: it asks the token endpoint for tokens
                      with its client id and secret. Allow it an API under Roles &amp; APIs.
                    </Alert>
                  )}
                  {create.isError && <ErrorAlert error={create.error} />}
                  <Group justify="space-between">
                    <Button
                      variant="default"
                      leftSection={<IconArrowLeft size={16} />}
                      onClick={() => setStep(0)}
                    >
                      Back
                    </Button>
                    <Button type="submit" loading={create.isPending}>
                      Create application
                    </Button>
                  </Group>
                </Stack>
              </form>
            )}
          </Stepper.Step>

          <Stepper.Step label="Connect" description={narrow ? undefined : 'Credentials and code'} />
          <Stepper.Completed>
            {create.data && kind && (
              <Created
                tenant={tenant}
                kind={kind}
                client={create.data}
                issuer={issuer.data}
                issuerError={issuer.error}
              />
            )}
          </Stepper.Completed>
        </Stepper>
      </Paper>
    </>
  );
}

function Created({
  tenant,
  kind,
  client,
  issuer,
  issuerError,
}: {
  tenant: string;
  kind: AppKind;
  client: AppClient;
  issuer: string | undefined;
  issuerError: unknown;
}) {
  return (
    <Stack>
      <Group gap="sm" wrap="nowrap">
        <IconCircleCheck size={28} color="var(--mantine-color-green-filled)" aria-hidden />
        <Title order={2} size="h3">
          {client.name} is ready
        </Title>
      </Group>
      {client.client_secret && <SecretOnce secret={client.client_secret} />}
      {issuer ? (
        <CopyField
          label="Discovery URL"
          value={discoveryUrl(issuer)}
          description="Most libraries need only this (or the issuer) and the client id."
        />
      ) : issuerError ? (
        <ErrorAlert error={issuerError} />
      ) : null}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <CopyField label="Client ID" value={client.client_id} />
        {issuer && <CopyField label="Issuer" value={issuer} />}
      </SimpleGrid>
      {issuer && (
        <>
          <Title order={3} size="h4" mt="sm">
            Connect your {KINDS[kind].label.toLowerCase()}
          </Title>
          <Snippets
            kind={kind}
            values={{
              issuer,
              clientId: client.client_id,
              secret: client.client_secret ?? null,
              redirectUri: client.redirect_uris[0] ?? '',
              postLogoutUri: client.post_logout_redirect_uris[0] ?? '',
            }}
          />
        </>
      )}
      <Group justify="flex-end" mt="md">
        <Button component={Link} to={`/t/${tenant}/applications`} variant="default">
          Back to applications
        </Button>
        <Button component={Link} to={`/t/${tenant}/applications/${encodeURIComponent(client.client_id)}`}>
          Open the application
        </Button>
      </Group>
    </Stack>
  );
}

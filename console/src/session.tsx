// Who is signed in to the console, and the gate every screen is behind: first run (no admin yet),
// sign-in, and an account without the admin role.
import {
  Alert,
  Anchor,
  Button,
  Center,
  Code,
  Container,
  Loader,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { Navigate, useNavigate } from 'react-router';
import { ApiError, api, unwrap } from './api/client';
import { completeSignIn, consoleConfig, forget, signIn, signOut, signedIn } from './auth';
import { ErrorAlert } from './components/QueryState';

export function useMe() {
  return useQuery({ queryKey: ['me'], queryFn: () => unwrap(api.GET('/v2/admin/me')), staleTime: 60_000 });
}

function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Container size={480} py={64}>
      <Paper withBorder shadow="sm" p="xl" radius="lg">
        <Stack>
          <Text fw={700} c="indigo">
            HelloJohn
          </Text>
          <Title order={1} size="h3">
            {title}
          </Title>
          {children}
        </Stack>
      </Paper>
    </Container>
  );
}

function Waiting({ label }: { label: string }) {
  return (
    <Center h="100vh">
      <Loader aria-label={label} />
    </Center>
  );
}

/** Renders the console once an operator with the admin role is signed in. */
export function Gate({ children }: { children: ReactNode }) {
  const config = useQuery({ queryKey: ['console-config'], queryFn: consoleConfig, staleTime: Infinity });
  const ready = config.data?.admin_exists === true && signedIn();
  const me = useQuery({
    queryKey: ['me'],
    queryFn: () => unwrap(api.GET('/v2/admin/me')),
    enabled: ready,
    staleTime: 60_000,
  });
  useEffect(() => {
    if (config.data?.admin_exists && !signedIn()) void signIn(location.pathname + location.search);
  }, [config.data]);

  if (config.isError)
    return (
      <Card title="The console cannot start">
        <ErrorAlert error={config.error} onRetry={() => void config.refetch()} />
      </Card>
    );
  if (!config.data) return <Waiting label="Loading the console" />;
  if (!config.data.admin_exists) return <FirstRun open={config.data.first_run_open} />;
  if (!ready || me.isPending) return <Waiting label="Signing in" />;
  if (me.isError) {
    if (me.error instanceof ApiError && me.error.status === 403)
      return (
        <Card title="This account is not an administrator">
          <Text size="sm">{me.error.message}</Text>
          <Text size="sm" c="dimmed">
            Ask an administrator to give your account the admin role, then sign in again.
          </Text>
          <Button onClick={() => void signOut()}>Sign out</Button>
        </Card>
      );
    return (
      <Card title="The console cannot reach the admin API">
        <ErrorAlert error={me.error} onRetry={() => void me.refetch()} />
        <Button
          variant="default"
          onClick={() => {
            forget();
            void signIn();
          }}
        >
          Sign in again
        </Button>
      </Card>
    );
  }
  return <>{children}</>;
}

function FirstRun({ open }: { open: boolean }) {
  return (
    <Card title="Create the first administrator">
      {open ? (
        <FirstAdminForm />
      ) : (
        <>
          <Text size="sm">
            Nobody can sign in to this console yet. Create the first administrator on the machine that runs
            HelloJohn, then reload this page:
          </Text>
          {/* Focusable: a narrow screen scrolls the command sideways, and a keyboard must be able to. */}
          <Code block tabIndex={0}>
            npx hellojohn admin create you@example.com --console
          </Code>
          <Text size="sm">
            It asks for a password (or reads it from standard input). With the embedded database, stop the
            server first: only one process can open it. Alternatively, start the server with{' '}
            <Code>HELLOJOHN_ADMIN_EMAIL</Code> and <Code>HELLOJOHN_ADMIN_PASSWORD</Code> set.
          </Text>
          <Button onClick={() => location.reload()}>I have created it — reload</Button>
        </>
      )}
      <Text size="sm" c="dimmed">
        Administrators sign in through HelloJohn&apos;s own hosted login, in the <Code>admin</Code> tenant, so
        multi-factor authentication and passkeys apply to them too.{' '}
        <Anchor href="/docs" target="_blank" underline="always">
          API reference
        </Anchor>
      </Text>
    </Card>
  );
}

/** A local install's first run: the first administrator made here, then the normal sign-in. */
function FirstAdminForm() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const mismatch = repeat.length > 0 && repeat !== password;
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (password !== repeat) return;
        setBusy(true);
        setError(null);
        fetch('/v2/admin/register', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ email, password }),
        })
          .then(async (response) => {
            if (!response.ok) {
              const body = (await response.json().catch(() => ({}))) as { error_description?: string };
              throw new Error(body.error_description ?? `The server answered ${response.status}.`);
            }
            // Made: sign in with it, through the hosted login like every later time.
            await signIn();
          })
          .catch((e: unknown) => {
            setError(e);
            setBusy(false);
          });
      }}
    >
      <Stack>
        <Text size="sm">
          This is a local install and nobody can sign in yet: create the first administrator. Later ones are
          added from the console or with <Code>hellojohn admin create --console</Code>.
        </Text>
        <TextInput
          label="Email"
          type="email"
          required
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
        />
        <PasswordInput
          label="Password"
          required
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
        />
        <PasswordInput
          label="Repeat the password"
          required
          autoComplete="new-password"
          value={repeat}
          error={mismatch ? 'The passwords differ.' : undefined}
          onChange={(e) => setRepeat(e.currentTarget.value)}
        />
        {error !== null && <ErrorAlert error={error} />}
        <Button type="submit" loading={busy} disabled={mismatch}>
          Create and sign in
        </Button>
      </Stack>
    </form>
  );
}

/** /admin/callback: the end of the sign-in redirect. */
export function Callback() {
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let cancelled = false;
    completeSignIn(new URL(location.href)).then(
      (to) => {
        if (!cancelled) void navigate(to.replace(/^\/admin/, '') || '/', { replace: true });
      },
      (e: unknown) => {
        if (!cancelled) setError(e);
      },
    );
    return () => {
      cancelled = true;
    };
    // Runs once: the code in the URL can be redeemed only once.
  }, []);
  if (error !== null)
    return (
      <Card title="Sign-in did not complete">
        <Alert color="red" role="alert">
          {error instanceof Error ? error.message : 'The sign-in response was not valid.'}
        </Alert>
        <Button onClick={() => void signIn()}>Sign in again</Button>
      </Card>
    );
  return <Waiting label="Finishing sign-in" />;
}

export function Home() {
  return <Navigate to="/t/default" replace />;
}

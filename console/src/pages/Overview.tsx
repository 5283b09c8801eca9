// A tenant at a glance: sign-ins and failed sign-ins over the last 14 days (from the audit trail), sessions
// in use, users; and the installation's health. The chart is plain SVG in the theme's colours.
import { Badge, Group, Paper, SimpleGrid, Stack, Text, Title, Tooltip } from '@mantine/core';
import { useElementSize } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { PageHeader } from '../components/PageHeader';
import { QueryState, errorText } from '../components/QueryState';
import { useTenant } from '../Shell';

type Stats = Awaited<ReturnType<typeof fetchStats>>;
type Health = Awaited<ReturnType<typeof fetchHealth>>;

const fetchStats = (tenant: string) =>
  unwrap(api.GET('/v2/admin/tenants/{tenant}/stats', { params: { path: { tenant } } }));
const fetchHealth = () => unwrap(api.GET('/v2/admin/health'));

export default function Overview() {
  const tenant = useTenant();
  const stats = useQuery({ queryKey: ['stats', tenant], queryFn: () => fetchStats(tenant) });
  const health = useQuery({ queryKey: ['health'], queryFn: fetchHealth, retry: false });
  return (
    <>
      <PageHeader
        title="Overview"
        description="Sign-ins over the last 14 days, and how the installation is doing."
      />
      <Stack gap="lg">
        <HealthStrip query={health} />
        <QueryState query={stats}>
          {(data) => (
            <>
              <SimpleGrid cols={{ base: 2, md: 4 }} spacing="md">
                <Figure label="Sign-ins" hint="last 14 days" value={data.totals.sign_ins} />
                <Figure label="Failed sign-ins" hint="last 14 days" value={data.totals.failed_sign_ins} />
                <Figure label="Active sessions" hint="signed in now" value={data.active_sessions} />
                <Figure label="Users" hint="in this tenant" value={data.users} />
              </SimpleGrid>
              <Paper withBorder radius="md" p={{ base: 'md', sm: 'lg' }}>
                <Group justify="space-between" mb="sm" gap="xs">
                  <Title order={2} size="h4">
                    Sign-ins per day
                  </Title>
                  <Group gap="md">
                    <Legend color="var(--mantine-primary-color-filled)" label="Succeeded" />
                    <Legend color="var(--mantine-color-red-filled)" label="Failed" />
                  </Group>
                </Group>
                <SignInChart days={data.days} />
              </Paper>
            </>
          )}
        </QueryState>
      </Stack>
    </>
  );
}

function Figure({ label, hint, value }: { label: string; hint: string; value: number }) {
  return (
    <Paper withBorder radius="md" p="md">
      <Text size="sm" c="dimmed" fw={500}>
        {label}
      </Text>
      <Text fz={28} fw={700} lh={1.3} data-testid={`figure-${label}`}>
        {value.toLocaleString()}
      </Text>
      <Text size="xs" c="dimmed">
        {hint}
      </Text>
    </Paper>
  );
}

function Legend({ color, label }: { color: string; label: string }) {
  return (
    <Group gap={6}>
      <svg width="12" height="12" aria-hidden="true">
        <rect width="12" height="12" rx="2" fill={color} />
      </svg>
      <Text size="sm">{label}</Text>
    </Group>
  );
}

const HEIGHT = 220;
/** Room a day's label needs, in px: fewer labels on a narrow screen. */
const LABEL_WIDTH = 56;
const PAD = { top: 10, right: 8, bottom: 28, left: 36 };

/** Grouped bars per day; the numbers are also in a table for screen readers. */
function SignInChart({ days }: { days: Stats['days'] }) {
  // Drawn at the width it is shown at, so its text keeps its size on a phone.
  const { ref, width } = useElementSize();
  const WIDTH = Math.max(280, Math.round(width) || 700);
  const max = Math.max(1, ...days.flatMap((d) => [d.sign_ins, d.failed_sign_ins]));
  const top = niceCeiling(max);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / days.length;
  const bar = Math.max(3, Math.min(14, slot / 2 - 3));
  // Today is always labelled, then every `every` days back.
  const every = Math.max(1, Math.ceil(LABEL_WIDTH / slot));
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const ticks = [0, top / 2, top];
  const label = (date: string) =>
    new Date(`${date}T00:00:00Z`).toLocaleDateString(undefined, {
      month: 'short',
      day: 'numeric',
      timeZone: 'UTC',
    });
  return (
    <div ref={ref}>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        height={HEIGHT}
        role="img"
        aria-label="Sign-ins and failed sign-ins per day"
      >
        {ticks.map((t) => (
          <g key={t}>
            <line
              x1={PAD.left}
              x2={WIDTH - PAD.right}
              y1={y(t)}
              y2={y(t)}
              stroke="var(--mantine-color-default-border)"
              strokeDasharray={t === 0 ? undefined : '3 3'}
            />
            <text
              x={PAD.left - 6}
              y={y(t) + 4}
              textAnchor="end"
              fontSize="11"
              fill="var(--mantine-color-dimmed)"
            >
              {Number.isInteger(t) ? t : t.toFixed(1)}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          const x = PAD.left + i * slot + slot / 2;
          return (
            <g key={d.date}>
              <rect
                x={x - bar - 1}
                y={y(d.sign_ins)}
                width={bar}
                height={y(0) - y(d.sign_ins)}
                rx="2"
                fill="var(--mantine-primary-color-filled)"
              >
                <title>{`${label(d.date)}: ${d.sign_ins} sign-ins`}</title>
              </rect>
              <rect
                x={x + 1}
                y={y(d.failed_sign_ins)}
                width={bar}
                height={y(0) - y(d.failed_sign_ins)}
                rx="2"
                fill="var(--mantine-color-red-filled)"
              >
                <title>{`${label(d.date)}: ${d.failed_sign_ins} failed`}</title>
              </rect>
              {(days.length - 1 - i) % every === 0 && (
                <text
                  x={x}
                  y={HEIGHT - 8}
                  textAnchor="middle"
                  fontSize="11"
                  fill="var(--mantine-color-dimmed)"
                >
                  {label(d.date)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <table className="hj-visually-hidden">
        <caption>Sign-ins per day</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Sign-ins</th>
            <th scope="col">Failed</th>
          </tr>
        </thead>
        <tbody>
          {days.map((d) => (
            <tr key={d.date}>
              <th scope="row">{d.date}</th>
              <td>{d.sign_ins}</td>
              <td>{d.failed_sign_ins}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** 1, 2, 5, 10, 20, 50…: the top of the axis. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

type Level = 'ok' | 'warn' | 'bad';
const COLORS: Record<Level, string> = { ok: 'green', warn: 'yellow', bad: 'red' };

function HealthStrip({ query }: { query: ReturnType<typeof useQuery<Health>> }) {
  if (query.isPending)
    return (
      <Text size="sm" c="dimmed">
        Checking the installation’s health…
      </Text>
    );
  if (query.isError)
    return (
      <Text size="sm" c="dimmed" role="status">
        Installation health is not shown: {errorText(query.error)}
      </Text>
    );
  const h = query.data;
  const keys = h.signing_keys;
  const items: { label: string; value: string; level: Level; hint: string }[] = [
    {
      label: 'Database',
      value:
        h.database.status === 'ok'
          ? `OK (${h.database.kind === 'pglite' ? 'PGlite' : 'PostgreSQL'})`
          : 'Unavailable',
      level: h.database.status === 'ok' ? 'ok' : 'bad',
      hint: 'The database answers.',
    },
    {
      label: 'Redis',
      value: { ok: 'OK', unavailable: 'Unavailable', not_configured: 'Not configured' }[h.redis.status],
      level: h.redis.status === 'ok' ? 'ok' : h.redis.status === 'unavailable' ? 'bad' : 'warn',
      hint: 'Rate limits and caches shared between instances (REDIS_URL).',
    },
    {
      label: 'Migrations',
      value:
        h.migrations.status === 'ok'
          ? `Up to date (${h.migrations.applied})`
          : h.migrations.status === 'pending'
            ? `${h.migrations.pending} pending`
            : h.migrations.status === 'mismatch'
              ? 'Mismatch'
              : 'Unknown',
      level: h.migrations.status === 'ok' ? 'ok' : 'bad',
      hint: 'Pending: run hellojohn migrate.',
    },
    {
      label: 'Signing keys',
      value:
        keys.oldest_active_age_days === null
          ? 'None yet'
          : keys.oldest_active_age_days === 0
            ? 'Under a day old'
            : `${keys.oldest_active_age_days} ${keys.oldest_active_age_days === 1 ? 'day' : 'days'} old`,
      level: keys.status === 'due' ? 'warn' : 'ok',
      hint:
        keys.rotation_interval_days === null
          ? 'Rotated by hand only.'
          : `Rotated every ${keys.rotation_interval_days} days.`,
    },
  ];
  return (
    <Paper withBorder radius="md" px="md" py="sm" component="section" aria-label="Installation health">
      <Group gap="lg" wrap="wrap">
        {items.map((item) => (
          <Tooltip key={item.label} label={item.hint} withArrow>
            <Group gap={8} wrap="nowrap" tabIndex={0}>
              <Text size="sm" fw={500}>
                {item.label}
              </Text>
              <Badge color={COLORS[item.level]} tt="none">
                {item.value}
              </Badge>
            </Group>
          </Tooltip>
        ))}
      </Group>
    </Paper>
  );
}

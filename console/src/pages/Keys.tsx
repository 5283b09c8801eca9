// Signing keys: which key signs the tenant's tokens now, which retired ones still verify (and until
// when), and a rotation.
import { Alert, Badge, Box, Stack, Table, Text } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { ConfirmButton } from '../components/ConfirmButton';
import { CopyField } from '../components/CopyField';
import { PageHeader } from '../components/PageHeader';
import { QueryState } from '../components/QueryState';
import { formatDate } from '../format';
import { useTenant } from '../Shell';

const ROTATION =
  'Rotation makes new keys that sign every token from now on; tokens already issued keep verifying, ' +
  'because the old keys stay published in the JWKS until their grace period ends.';

export default function Keys() {
  const tenant = useTenant();
  const queries = useQueryClient();
  const keys = useQuery({
    queryKey: ['keys', tenant],
    queryFn: () => unwrap(api.GET('/v2/admin/tenants/{tenant}/keys', { params: { path: { tenant } } })),
  });
  // The console is served by the server it manages: the tenant's issuer is on this origin.
  const jwks = `${location.origin}${tenant === 'default' ? '' : `/t/${tenant}`}/.well-known/jwks.json`;
  const now = Date.now();
  return (
    <>
      <PageHeader
        title="Signing keys"
        description="The keys that sign this tenant’s ID and access tokens. Private parts never leave the server."
        actions={
          <ConfirmButton
            color="indigo"
            title="Rotate the signing keys?"
            message={ROTATION}
            confirmLabel="Rotate keys"
            onConfirm={async () => {
              const rotated = await unwrap(
                api.POST('/v2/admin/tenants/{tenant}/keys/rotate', { params: { path: { tenant } } }),
              );
              await queries.invalidateQueries({ queryKey: ['keys', tenant] });
              notifications.show({
                color: 'green',
                message: `New key${rotated.created.length === 1 ? '' : 's'}: ${rotated.created.join(', ')}`,
              });
            }}
          >
            Rotate keys
          </ConfirmButton>
        }
      />
      <Stack gap="lg">
        <Alert variant="light" color="blue" icon={<IconInfoCircle size={18} />} title="Rotation">
          {ROTATION}
        </Alert>
        <Box maw={640}>
          <CopyField
            label="JWKS URL"
            description="Where relying parties fetch the public keys."
            value={jwks}
          />
        </Box>
        <QueryState query={keys}>
          {(data) => (
            // Focusable: on a narrow screen the keyboard scrolls it (no link inside to reach it by).
            <div className="hj-table-scroll" tabIndex={0} role="region" aria-label="Signing keys">
              <Table verticalSpacing="sm" miw={760}>
                <Table.Thead>
                  <Table.Tr>
                    {/* State first: on a narrow screen it is what shows before scrolling. */}
                    <Table.Th>State</Table.Th>
                    <Table.Th>Key id (kid)</Table.Th>
                    <Table.Th>Algorithm</Table.Th>
                    <Table.Th>Verifies tokens</Table.Th>
                    <Table.Th>Created</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.keys.map((key) => {
                    const gone = key.expires_at !== null && Date.parse(key.expires_at) <= now;
                    return (
                      <Table.Tr key={key.kid} data-kid={key.kid}>
                        <Table.Td>
                          {key.status === 'active' ? (
                            <Badge color="green" miw="max-content">
                              Active
                            </Badge>
                          ) : (
                            <Badge color="gray" miw="max-content">
                              {gone ? 'Expired' : 'Retired'}
                            </Badge>
                          )}
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" className="hj-mono">
                            {key.kid}
                          </Text>
                        </Table.Td>
                        <Table.Td>{key.alg}</Table.Td>
                        <Table.Td>
                          {key.status === 'active' ? (
                            <Text size="sm">Yes, and signs new tokens</Text>
                          ) : gone ? (
                            <Text size="sm" c="dimmed">
                              No longer (since {formatDate(key.expires_at)})
                            </Text>
                          ) : (
                            <Text size="sm">
                              Until {formatDate(key.expires_at)}
                              <Text span size="xs" c="dimmed" display="block">
                                Retired {formatDate(key.retired_at)}
                              </Text>
                            </Text>
                          )}
                        </Table.Td>
                        <Table.Td>{formatDate(key.created_at)}</Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </div>
          )}
        </QueryState>
      </Stack>
    </>
  );
}

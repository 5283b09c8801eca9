// A signing secret, right after it was made: the only time anyone sees it.
import { Alert, Stack, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { CopyField } from '../../components/CopyField';

export function SecretShown({ secret }: { secret: string }) {
  return (
    <Alert
      color="yellow"
      icon={<IconAlertTriangle size={18} />}
      title="Copy the signing secret now"
      // Yellow text on the light yellow fill is too faint: the title keeps the text colour.
      styles={{ title: { color: 'var(--mantine-color-text)' } }}
    >
      <Stack gap="xs">
        <Text size="sm">
          It is shown this once. Your receiver checks X-HelloJohn-Signature with it (HMAC-SHA256).
        </Text>
        <CopyField label="Signing secret" value={secret} />
      </Stack>
    </Alert>
  );
}

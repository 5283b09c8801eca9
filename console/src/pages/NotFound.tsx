import { Button, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';

export function NotFound() {
  return (
    <Stack align="start">
      <Title order={1} size="h2">
        Nothing here
      </Title>
      <Text c="dimmed">This console page does not exist.</Text>
      <Button component={Link} to="/">
        Go to the overview
      </Button>
    </Stack>
  );
}

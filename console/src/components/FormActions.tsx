// The end of a dialog's form: Cancel, and the submit button, busy while its call runs.
import { Button, Group } from '@mantine/core';
import type { ReactNode } from 'react';

export function FormActions({
  onCancel,
  pending,
  disabled,
  icon,
  children,
}: {
  onCancel: () => void;
  pending: boolean;
  disabled?: boolean;
  icon?: ReactNode;
  /** The submit button's label. */
  children: ReactNode;
}) {
  return (
    <Group justify="flex-end">
      <Button variant="default" onClick={onCancel}>
        Cancel
      </Button>
      <Button type="submit" leftSection={icon} loading={pending} disabled={disabled}>
        {children}
      </Button>
    </Group>
  );
}

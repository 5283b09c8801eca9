// Destructive actions ask first; the worst ones (deleting a user, a tenant) ask to type a word.
import { Button, Group, Modal, Stack, Text, TextInput, type ButtonProps } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useState, type ReactNode } from 'react';
import { ErrorAlert } from './QueryState';

export function ConfirmButton({
  children,
  title,
  message,
  confirmLabel,
  typeToConfirm,
  onConfirm,
  ...button
}: ButtonProps & {
  children: ReactNode;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  /** The operator must type this exact text before the action is enabled. */
  typeToConfirm?: string;
  onConfirm: () => Promise<unknown>;
}) {
  const [opened, { open, close }] = useDisclosure(false);
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const ready = !typeToConfirm || typed === typeToConfirm;
  const dismiss = () => {
    setTyped('');
    setError(null);
    close();
  };
  return (
    <>
      <Button color="red" variant="light" {...button} onClick={open}>
        {children}
      </Button>
      <Modal
        closeButtonProps={{ 'aria-label': 'Close' }}
        opened={opened}
        onClose={dismiss}
        title={title}
        centered
      >
        <Stack>
          <Text size="sm">{message}</Text>
          {typeToConfirm && (
            <TextInput
              label={`Type ${typeToConfirm} to confirm`}
              value={typed}
              onChange={(event) => setTyped(event.currentTarget.value)}
              autoComplete="off"
              data-autofocus
            />
          )}
          {error !== null && <ErrorAlert error={error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={dismiss}>
              Cancel
            </Button>
            <Button
              color="red"
              disabled={!ready}
              loading={busy}
              onClick={() => {
                setBusy(true);
                setError(null);
                onConfirm()
                  .then(dismiss)
                  .catch(setError)
                  .finally(() => setBusy(false));
              }}
            >
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

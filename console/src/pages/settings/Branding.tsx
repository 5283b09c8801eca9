// Branding, with the tenant's real sign-in page next to the form: rendered by the server from what is
// typed (unsaved), shown in a sandboxed frame without scripts.
import { Box, ColorInput, Group, Loader, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { errorText } from '../../components/QueryState';
import { Section, compact, member, useSaveSettings, type TenantDetail } from './common';

interface BrandingForm {
  display_name: string;
  logo_url: string;
  primary_color: string;
  background_color: string;
  custom_css: string;
}

const str = (value: unknown) => (typeof value === 'string' ? value : '');

export function BrandingSection({ tenant, detail }: { tenant: string; detail: TenantDetail }) {
  const stored = member(detail, 'branding');
  const [form, setForm] = useState<BrandingForm>({
    display_name: str(stored.display_name),
    logo_url: str(stored.logo_url),
    primary_color: str(stored.primary_color),
    background_color: str(stored.background_color),
    custom_css: str(stored.custom_css),
  });
  const set = (key: keyof BrandingForm) => (value: string) => setForm((f) => ({ ...f, [key]: value }));
  const branding = compact({ ...form });
  const [debounced] = useDebouncedValue(branding, 300);
  const preview = useQuery({
    queryKey: ['branding-preview', tenant, debounced],
    queryFn: () =>
      unwrap<string>(
        api.POST('/v2/admin/tenants/{tenant}/branding/preview', {
          params: { path: { tenant } },
          body: debounced,
          parseAs: 'text',
        }),
      ),
    placeholderData: keepPreviousData,
    retry: false,
  });
  const save = useSaveSettings(tenant, 'Branding');
  return (
    <Section
      id="branding"
      title="Branding"
      description="How the hosted sign-in, sign-up and account pages look. The preview shows the real sign-in page as you type; nothing changes for users until you save."
      onSave={() => save.mutate({ branding: Object.keys(branding).length > 0 ? branding : null })}
      saving={save.isPending}
      error={save.error}
    >
      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="xl">
        <Stack gap="sm">
          <TextInput
            label="Display name"
            description={`Shown at the top of the pages; empty: the tenant’s name (${detail.name}).`}
            placeholder={detail.name}
            maxLength={100}
            value={form.display_name}
            onChange={(e) => set('display_name')(e.currentTarget.value)}
          />
          <TextInput
            label="Logo URL"
            description="An absolute https: address of an image."
            placeholder="https://cdn.example.com/logo.svg"
            type="url"
            value={form.logo_url}
            onChange={(e) => set('logo_url')(e.currentTarget.value)}
          />
          <Group grow align="start" wrap="wrap">
            <ColorInput
              label="Primary colour"
              description="Buttons and links."
              placeholder="#1d4ed8"
              format="hex"
              withEyeDropper={false}
              miw={160}
              value={form.primary_color}
              onChange={set('primary_color')}
            />
            <ColorInput
              label="Background colour"
              description="Behind the card."
              placeholder="#f3f4f6"
              format="hex"
              withEyeDropper={false}
              miw={160}
              value={form.background_color}
              onChange={set('background_color')}
            />
          </Group>
          <Textarea
            label="Custom CSS"
            description="Rules for the pages’ own selectors (body, main, h1, button, .brand…); no url(), @-rules or comments."
            placeholder="h1 { letter-spacing: 0.02em; }"
            autosize
            minRows={3}
            maxRows={10}
            classNames={{ input: 'hj-mono' }}
            value={form.custom_css}
            onChange={(e) => set('custom_css')(e.currentTarget.value)}
          />
        </Stack>
        <Stack gap={6}>
          <Group justify="space-between" gap="xs">
            <Text size="sm" fw={500}>
              Preview: sign-in page
            </Text>
            {preview.isFetching && <Loader size="xs" aria-label="Updating the preview" />}
          </Group>
          {preview.isError && (
            <Text size="sm" c="red" role="status">
              Not shown yet: {errorText(preview.error)}
            </Text>
          )}
          <Box
            style={{
              border: '1px solid var(--mantine-color-default-border)',
              borderRadius: 'var(--mantine-radius-md)',
              overflow: 'hidden',
            }}
          >
            {preview.data !== undefined ? (
              <iframe
                title="Sign-in page preview"
                sandbox=""
                srcDoc={preview.data}
                style={{ display: 'block', width: '100%', height: 520, border: 0 }}
              />
            ) : (
              <Group h={520} justify="center">
                <Loader aria-label="Loading the preview" />
              </Group>
            )}
          </Box>
        </Stack>
      </SimpleGrid>
    </Section>
  );
}

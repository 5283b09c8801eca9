// A tenant's settings, one section per member, each saved on its own: branding with a live preview of
// the sign-in page, password policy, sign-up, sign-in methods, lifetimes, SMTP with a test mail, CORS.
import { Anchor, Group, Stack } from '@mantine/core';
import { PageHeader } from '../components/PageHeader';
import { QueryState } from '../components/QueryState';
import { useTenant } from '../Shell';
import { BrandingSection } from './settings/Branding';
import { useTenantDetail } from './settings/common';
import {
  CorsSection,
  LifetimesSection,
  PasswordPolicySection,
  SignInMethodsSection,
  SignUpSection,
  SmtpSection,
} from './settings/Sections';

const SECTIONS = [
  ['branding', 'Branding'],
  ['password-policy', 'Password policy'],
  ['sign-up', 'Sign-up'],
  ['sign-in-methods', 'Sign-in methods'],
  ['lifetimes', 'Lifetimes'],
  ['smtp', 'SMTP'],
  ['cors', 'CORS'],
] as const;

export default function Settings() {
  const tenant = useTenant();
  const detail = useTenantDetail(tenant);
  return (
    <>
      <PageHeader
        title="Settings"
        description={
          detail.data ? `${detail.data.name} · issuer ${detail.data.issuer}` : 'This tenant’s settings.'
        }
      />
      <QueryState query={detail}>
        {(data) => (
          // Keyed by the tenant and its last change: the forms start again from what is stored.
          <Stack gap="lg" key={`${tenant}`}>
            <Group gap="md" component="nav" aria-label="Sections" wrap="wrap">
              {SECTIONS.map(([id, label]) => (
                <Anchor key={id} href={`#${id}`} size="sm">
                  {label}
                </Anchor>
              ))}
            </Group>
            <BrandingSection tenant={tenant} detail={data} />
            <PasswordPolicySection tenant={tenant} detail={data} />
            <SignUpSection tenant={tenant} detail={data} />
            <SignInMethodsSection tenant={tenant} detail={data} />
            <LifetimesSection tenant={tenant} detail={data} />
            <SmtpSection tenant={tenant} detail={data} />
            <CorsSection tenant={tenant} detail={data} />
          </Stack>
        )}
      </QueryState>
    </>
  );
}

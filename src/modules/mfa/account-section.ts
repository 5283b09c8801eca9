// The MFA module's card on the account page (AccountSection): what it shows of the signed-in user (their
// factors, the preferred one, what they may set up) and the confirmations its forms come back with.
import type { AccountSection } from '../../kernel/module.js';
import type { Tenant } from '../../tenants/tenants.js';
import { PAGE_FACTORS, SECTION_ID, SECTION_TITLE, mfaSection, type MfaSectionView } from './account-views.js';
import type { Mfa } from './service.js';
import { mfaPolicyOf } from './settings.js';

/** The confirmations of the card's forms, by `?notice=` code. */
export const MFA_NOTICES = {
  totp_added: 'Your authenticator app is set up.',
  email_added: 'Email codes are on.',
  phone_added: 'Your phone number is set up for text-message codes.',
  preferred_set: 'Sign-ins will ask for that method first.',
  factor_removed: 'That method is removed.',
  mfa_off: 'Two-step sign-in is off: that was your last method, and your recovery codes are removed too.',
} as const;
export type MfaNotice = keyof typeof MFA_NOTICES;

export async function sectionView(
  mfa: Mfa,
  tenant: Tenant,
  userId: string,
  now: Date,
  error?: string,
): Promise<MfaSectionView> {
  const { factors, preferred } = await mfa.factors(tenant, userId);
  const allowed = mfa.setUpAllowed(tenant);
  const canSetUp = PAGE_FACTORS.filter((id) => allowed.includes(id) && !factors.some((f) => f.type === id));
  const policyOff = mfaPolicyOf(tenant.settings).mode === 'off';
  return { factors, preferred, canSetUp, policyOff, error, now };
}

export function mfaAccountSection(mfa: Mfa): AccountSection {
  return {
    id: SECTION_ID,
    title: SECTION_TITLE,
    notices: MFA_NOTICES,
    render: async (args) => mfaSection(args, await sectionView(mfa, args.tenant, args.user.id, new Date())),
  };
}

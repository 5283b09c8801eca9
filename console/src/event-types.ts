// The audit event types the server records (GET /v2/admin/event-types): each is also a webhook event of
// the same type, except webhook.* (audited, never delivered). Offered as suggestions in the webhook filter
// and the audit log's type filter.
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from './api/client';

/** An exact type, a prefix (`mfa.*`) or `*`: the API's filter pattern (src/modules/webhooks/service.ts). */
export const EVENT_FILTER = /^(\*|[a-z][a-z_]*(\.[a-z][a-z_]*)*\.\*|[a-z][a-z_]*(\.[a-z][a-z_]*)+)$/;

/** The suggestions of an event filter, by family: `*`, then each family's prefix and its types. */
export function eventFilterOptions(
  types: readonly string[],
  webhooks: boolean,
): { group: string; items: string[] }[] {
  const families = new Map<string, string[]>();
  for (const type of types) {
    // The webhook.* events are never delivered: offering them to a webhook would be a trap.
    if (webhooks && type.startsWith('webhook.')) continue;
    const family = type.slice(0, type.indexOf('.'));
    families.set(family, [...(families.get(family) ?? []), type]);
  }
  return [
    { group: 'Everything', items: ['*'] },
    ...[...families].map(([family, types]) => ({ group: family, items: [`${family}.*`, ...types] })),
  ];
}

/** The server's event types (fetched once per console session); empty until they arrive. */
export function useEventTypes(): readonly string[] {
  const query = useQuery({
    queryKey: ['event-types'],
    queryFn: () => unwrap(api.GET('/v2/admin/event-types')),
    staleTime: Infinity,
  });
  return query.data?.event_types ?? [];
}

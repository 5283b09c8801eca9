// The event filter of a webhook endpoint: documented types and family prefixes offered as suggestions,
// anything matching the API's pattern accepted (a type added in a newer server still works).
import { TagsInput } from '@mantine/core';
import { EVENT_FILTER, eventFilterOptions, useEventTypes } from '../../event-types';

/** Why `events` cannot be sent as a filter, or null. */
export function eventsProblem(events: readonly string[]): string | null {
  if (events.length === 0) return 'Pick at least one event type.';
  const bad = events.find((e) => !EVENT_FILTER.test(e));
  return bad ? `“${bad}” is not an event type, a prefix like user.* or *.` : null;
}

export function EventsInput({
  value,
  onChange,
  error,
}: {
  value: string[];
  onChange: (value: string[]) => void;
  error?: string | null;
}) {
  const options = eventFilterOptions(useEventTypes(), true);
  return (
    <TagsInput
      label="Events"
      description="Exact types, a family (user.*) or * for every event. Type to search; Enter adds."
      placeholder={value.length ? undefined : 'user.registered'}
      data={options}
      value={value}
      onChange={onChange}
      error={error ?? undefined}
      maxDropdownHeight={260}
      limit={60}
      clearable
      acceptValueOnBlur
      // Not `required`: the browser would block the form on the empty text box beside the chosen tags.
      withAsterisk
      splitChars={[',', ' ']}
    />
  );
}

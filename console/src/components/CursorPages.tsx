// Keyset pagination as the admin API does it (`cursor` in, `next_cursor` out): the cursors of the pages
// before this one, so "previous" goes back without the API having to page backwards.
import { Button, Group } from '@mantine/core';
import { useState } from 'react';

export interface CursorPages {
  /** The cursor of the page shown (undefined: the first). */
  cursor: string | undefined;
  /** Back to the first page (a filter changed). */
  reset: () => void;
  hasPrevious: boolean;
  previous: () => void;
  next: (cursor: string) => void;
}

export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<string[]>([]);
  return {
    cursor: cursors.at(-1),
    reset: () => setCursors([]),
    hasPrevious: cursors.length > 0,
    previous: () => setCursors((list) => list.slice(0, -1)),
    next: (cursor) => setCursors((list) => [...list, cursor]),
  };
}

/** The two buttons under a paged list; `labels` for lists where newer/older reads better. */
export function PageButtons({
  pages,
  nextCursor,
  labels = ['Previous', 'Next'],
}: {
  pages: CursorPages;
  nextCursor: string | null | undefined;
  labels?: readonly [string, string];
}) {
  return (
    <Group justify="flex-end" mt="md">
      <Button variant="default" disabled={!pages.hasPrevious} onClick={pages.previous}>
        {labels[0]}
      </Button>
      <Button variant="default" disabled={!nextCursor} onClick={() => nextCursor && pages.next(nextCursor)}>
        {labels[1]}
      </Button>
    </Group>
  );
}

// The email and SMS factors as the MFA module's account API lists and removes them (ManagedFactor).
import type { Queryable } from '../../../db/database.js';
import type { FactorRecord } from '../factors.js';
import { removeCodeFactor, removeCodes, type CodeFactorRow, type CodeOwner } from './repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function record(row: CodeFactorRow, label: string): FactorRecord {
  return { id: row.id, type: row.channel, label, createdAt: row.confirmed_at, lastUsedAt: row.last_used_at };
}

/**
 * Removes the factor (`id`: only if it is that one) with any code on its way, an enrolment in progress
 * included. Without `id` (an MFA reset) the pending codes go even when no factor was confirmed.
 */
export async function removeFactor(db: Queryable, owner: CodeOwner, id?: string): Promise<boolean> {
  if (id !== undefined && !UUID.test(id)) return false;
  const removed = await removeCodeFactor(db, owner, id);
  if (id === undefined) await removeCodes(db, owner);
  return removed;
}

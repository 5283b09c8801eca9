// Which second factors a user has ready, for every factor that says so in SQL (SecondFactor.enrolledSql):
// one statement, one round trip, however many factors and modules there are. The password login asks
// the same expressions in the statement that finds the user (findUserByEmailWithFlags) instead.
import type { Queryable } from '../database.js';

/**
 * The statement answering each expression (SecondFactor.enrolledSql, given $1 for the tenant's id and $2
 * for the user's) as one column, in order; built once. The answer is one flag per expression.
 */
export function enrolledFactorsQuery(
  expressions: readonly ((tenantId: string, userId: string) => string)[],
): (db: Queryable, tenantId: string, userId: string) => Promise<boolean[]> {
  const sql = `SELECT ${expressions.map((expression, i) => `(${expression('$1', '$2')}) AS f${i}`).join(', ')}`;
  return async (db, tenantId, userId) => {
    if (expressions.length === 0) return [];
    const result = await db.query<Record<string, boolean | null>>(sql, [tenantId, userId]);
    const row = result.rows[0]!;
    return expressions.map((_, i) => row[`f${i}`] === true);
  };
}

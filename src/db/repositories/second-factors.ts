// Which second factors a user has ready, for every factor that says so in SQL (SecondFactor.enrolledSql):
// one statement, one round trip, however many factors and modules there are.
import type { Queryable } from '../database.js';

/**
 * The statement answering each expression (boolean, over $1 tenant id and $2 user id) as one column, in
 * order; built once. The answer is one flag per expression.
 */
export function enrolledFactorsQuery(
  expressions: readonly string[],
): (db: Queryable, tenantId: string, userId: string) => Promise<boolean[]> {
  const sql = `SELECT ${expressions.map((expression, i) => `(${expression}) AS f${i}`).join(', ')}`;
  return async (db, tenantId, userId) => {
    if (expressions.length === 0) return [];
    const result = await db.query<Record<string, boolean | null>>(sql, [tenantId, userId]);
    const row = result.rows[0]!;
    return expressions.map((_, i) => row[`f${i}`] === true);
  };
}

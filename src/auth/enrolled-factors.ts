// Which registered second factors a user has ready, asked at every sign-in: the factors with
// `enrolledSql` in one statement (on their own, or inside the statement that reads the user: the password
// login), the others through their own `enrolled`. The core composes the modules' SQL; it knows no
// module's tables.
import type { Queryable } from '../db/database.js';
import { enrolledFactorsQuery } from '../db/repositories/second-factors.js';
import type { UserRow } from '../db/repositories/users.js';
import type { EnrolledSql, SecondFactor } from '../kernel/authentication.js';
import type { Tenant } from '../tenants/tenants.js';

/** Made at the first sign-in, once every module has added its factors. */
interface Plan {
  /** The registered factors it was made for (modules add theirs once, before any request). */
  factors: readonly SecondFactor[];
  /** Per factor, its position among `expressions`; undefined: asked through its own `enrolled`. */
  slots: (number | undefined)[];
  expressions: readonly EnrolledSql[];
  query: ReturnType<typeof enrolledFactorsQuery>;
  /** The expressions for the tenant and user SQL a caller gives, by those two texts. */
  columns: Map<string, readonly string[]>;
}

export class EnrolledFactors {
  private plan?: Plan;

  /** `factors`: the list the modules fill once they are set up (read at the first sign-in). */
  constructor(
    private readonly db: Queryable,
    private readonly factors: readonly SecondFactor[],
  ) {}

  /** Ids of the registered factors the user has ready, in registration order (one query, at most). */
  async of(tenant: Tenant, user: UserRow): Promise<string[]> {
    return this.answer(tenant, user, this.current().query(this.db, tenant.id, user.id));
  }

  /**
   * The boolean SQL expressions to read with the user, over the given SQL of the tenant's id and the
   * user's id; their answers, in order, go to `answer`.
   */
  readonly columns = (tenantId: string, userId: string): readonly string[] => {
    const { columns, expressions } = this.current();
    const key = `${tenantId}\n${userId}`;
    let sql = columns.get(key);
    if (!sql) {
      sql = expressions.map((expression) => `(${expression(tenantId, userId)})`);
      columns.set(key, sql);
    }
    return sql;
  };

  /**
   * Ids of the factors the user has ready, from the answers to `columns` (`flags`), asking the factors
   * without SQL through `enrolled`; a factor the tenant does not offer is nobody's.
   */
  async answer(
    tenant: Tenant,
    user: UserRow,
    flags: readonly boolean[] | Promise<readonly boolean[]>,
  ): Promise<string[]> {
    const { factors, slots } = this.current();
    const [answered, asked] = await Promise.all([
      flags,
      Promise.all(
        factors.map((f, i) => (slots[i] === undefined ? f.enrolled(tenant, user) : Promise.resolve(false))),
      ),
    ]);
    return factors
      .filter((f, i) => {
        const slot = slots[i];
        return (slot === undefined ? asked[i] : answered[slot] === true) && (f.offered?.(tenant) ?? true);
      })
      .map((f) => f.id);
  }

  private current(): Plan {
    const factors = this.factors;
    if (this.plan?.factors.length === factors.length) return this.plan;
    const expressions: EnrolledSql[] = [];
    const slots = factors.map((f) => {
      const sql = f.enrolledSql;
      return sql === undefined ? undefined : expressions.push(sql) - 1;
    });
    this.plan = {
      factors: [...factors],
      slots,
      expressions,
      query: enrolledFactorsQuery(expressions),
      columns: new Map(),
    };
    return this.plan;
  }
}

export interface Migration {
  /** Position in the sequence; never reused, never renumbered. */
  version: number;
  /** snake_case summary shown by `hellojohn migrate status`. */
  name: string;
  /** The SQL, applied as one script inside the migration transaction. Never edit it after a release. */
  sql: string;
  /**
   * Set only on a contract step: a migration that removes what an earlier release deprecated (expand /
   * contract). Destructive statements are refused by the test suite anywhere else.
   */
  contract?: { deprecatedIn: number; reason: string };
}

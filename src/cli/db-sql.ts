// `hellojohn db sql`: one SQL statement against the configured database, PostgreSQL or the embedded PGlite.
// It is how the SQL recipes of the docs (tenant settings, audit queries) run on the embedded database,
// which no other program can open (stop the server first: PGlite allows one process at a time).
import { readFileSync } from 'node:fs';
import { CliError, commandContext, withDatabase } from './context.js';
import { printJson } from './management.js';
import { formatTable } from './table.js';

export async function dbSqlCommand(statement: string, options: { json?: boolean }): Promise<number> {
  const sql = (statement === '-' ? readFileSync(0, 'utf8') : statement).trim();
  if (!sql)
    throw new CliError('no SQL statement given (an argument, or `-` to read it from standard input)', 2);
  const context = commandContext();
  return withDatabase(context, async (db) => {
    const result = await db.query(sql);
    const rows = result.rows ?? [];
    if (options.json) {
      printJson({ rows: jsonSafe(rows), row_count: result.rowCount ?? rows.length });
      return 0;
    }
    if (rows.length > 0) {
      const header = Object.keys(rows[0]!);
      const cells = rows.map((row) => header.map((column) => cell(row[column])));
      process.stdout.write(`${formatTable(header, cells).join('\n')}\n`);
    }
    const count = result.rowCount ?? rows.length;
    process.stdout.write(`(${count} row${count === 1 ? '' : 's'})\n`);
    return 0;
  });
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  const text = typeof value === 'string' ? value : JSON.stringify(jsonSafe(value));
  return text.replace(/[\r\n\t]/g, ' ');
}

/** PGlite returns int8 as a bigint, which JSON cannot hold: printed as its decimal string. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value && typeof value === 'object' && !(value instanceof Date))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  return value;
}

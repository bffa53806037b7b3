// duck.mjs - DuckDB as the independent oracle of cylon's tests, as a module and a CLI.
//
// CLI:  node tests/oracle/duck.mjs FILE.sql        run the SQL in a file
//       node tests/oracle/duck.mjs --sql "SQL"     run the SQL given
//       add --types to print first a JSON array of {"name", "type"} (DuckDB type names)
// Several statements may be given; the result of the last one is printed as JSON lines,
// one object per row, keyed by column name, in the canonical form below.
//
// Module: query(sql) resolves to those row objects; queryTable(sql) to
// {names, types, rows} with rows as arrays of canonical values; queryRaw(sql) to
// {names, types, rows} with DuckDB's own JS values (bigint, DuckDBDateValue ...) for
// comparisons that need them; run(sql) runs statements and ignores results.
//
// Canonical form (JSON-safe and exact):
//   NULL                          -> null
//   BOOLEAN                       -> true / false
//   every integer type, DECIMAL   -> decimal string ("-9223372036854775808", "12.50")
//   FLOAT, DOUBLE                 -> JSON number (shortest text that reads back to the
//                                    same double), "-0" for negative zero, and
//                                    "inf", "-inf", "nan"
//   VARCHAR                       -> string
//   DATE                          -> "YYYY-MM-DD"
//   TIMESTAMP (any unit or zone)  -> DuckDB's text, "YYYY-MM-DD HH:MM:SS[.ffffff]"
//   TIME, INTERVAL, BLOB, UUID... -> DuckDB's text for the value
//   LIST, STRUCT, MAP, ARRAY      -> JSON as DuckDB's node API converts it
// One in-memory database serves the whole process (close() ends it).

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

let duckdb;
try {
  duckdb = await import('@duckdb/node-api');
} catch (e) {
  console.error(
    'duck.mjs: cannot load @duckdb/node-api (' + e.message.split('\n')[0] + ').\n' +
      'Install the test tools with scripts/install-deps (npm ci in tests/oracle).');
  process.exit(1);
}
const { DuckDBInstance, DuckDBTypeId: T } = duckdb;

let instance = null;
let connection = null;

/** The process's DuckDB connection (an in-memory database, made on first use). */
export async function connect() {
  if (!connection) {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
  }
  return connection;
}

/** Close the connection and the database. */
export function close() {
  if (connection) connection.closeSync();
  if (instance) instance.closeSync();
  connection = instance = null;
}

/** Run statements, ignoring any result. */
export async function run(sql) {
  await (await connect()).run(sql);
}

const INTEGER_TYPES = new Set([T.TINYINT, T.SMALLINT, T.INTEGER, T.BIGINT, T.UTINYINT,
  T.USMALLINT, T.UINTEGER, T.UBIGINT, T.HUGEINT, T.UHUGEINT, T.BIGNUM]);
const NESTED_TYPES = new Set([T.LIST, T.STRUCT, T.MAP, T.ARRAY, T.UNION, T.VARIANT]);

/** A double in canonical form. */
export function canonicalDouble(v) {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0';
  return v;
}

/** One DuckDB JS value of type typeId in canonical form (nested types excluded). */
export function canonical(v, typeId) {
  if (v === null || v === undefined) return null;
  if (typeId === T.BOOLEAN) return v;
  if (typeId === T.FLOAT || typeId === T.DOUBLE) return canonicalDouble(v);
  if (INTEGER_TYPES.has(typeId)) return String(v);
  if (typeof v === 'string') return v;
  return String(v);
}

/** Run SQL and return {names, types, rows} with DuckDB's JS values. `types` holds
 *  DuckDBType objects (typeId, toString()). */
export async function queryRaw(sql) {
  const conn = await connect();
  const statements = await conn.extractStatements(sql);
  if (statements.count === 0) throw new Error('no SQL statement given');
  let reader;
  for (let i = 0; i < statements.count; i++) {
    reader = await (await statements.prepare(i)).runAndReadAll();
  }
  return { names: reader.columnNames(), types: reader.columnTypes(), rows: reader.getRows(),
    reader };
}

/** Run SQL and return {names, types (DuckDB type names), rows (arrays, canonical)}. */
export async function queryTable(sql) {
  const { names, types, rows, reader } = await queryRaw(sql);
  const ids = types.map((t) => t.typeId);
  const json = ids.some((id) => NESTED_TYPES.has(id)) ? reader.getRowsJson() : null;
  const out = rows.map((row, r) =>
    row.map((v, c) => (NESTED_TYPES.has(ids[c]) ? json[r][c] : canonical(v, ids[c]))));
  return { names, types: types.map((t) => t.toString()), rows: out };
}

/** Run SQL and return the rows of its (last) result as canonical objects. */
export async function query(sql) {
  const { names, rows } = await queryTable(sql);
  return rows.map((row) => Object.fromEntries(names.map((n, c) => [n, row[c]])));
}

async function main(argv) {
  let sql = null;
  let withTypes = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sql') sql = argv[++i];
    else if (argv[i] === '--types') withTypes = true;
    else if (argv[i] === '-h' || argv[i] === '--help') sql = null, i = argv.length;
    else sql = readFileSync(argv[i], 'utf8');
  }
  if (sql == null) {
    console.error('usage: node duck.mjs [--types] (FILE.sql | --sql "SQL")');
    return 2;
  }
  try {
    const { names, types, rows } = await queryTable(sql);
    const lines = [];
    if (withTypes) lines.push(JSON.stringify(names.map((n, c) => ({ name: n, type: types[c] }))));
    for (const row of rows) {
      lines.push(JSON.stringify(Object.fromEntries(names.map((n, c) => [n, row[c]]))));
    }
    if (lines.length) process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } catch (e) {
    console.error(e.message);
    return 1;
  } finally {
    close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}

// ipc_diff.mjs - cylon's Arrow IPC reader and writer checked against apache-arrow (npm),
// the independent implementation of the format.
//
//   node tests/oracle/ipc_diff.mjs --dump build/tests/oracle/ipc_dump [--keep DIR]
//
// (a) apache-arrow writes tables of known values (every type cylon holds, nulls, several
//     batches with an empty one, dictionary-encoded strings with deltas and, in streams,
//     replacements, date64, the legacy stream prefix, LZ4 and zstd bodies) in the stream
//     and file formats; `ipc_dump read` reads each with cylon and prints it; the values
//     must equal the known ones. Types cylon refuses (float16, nested, decimal256, time,
//     date64 that is not whole days) must fail with an error that names them.
// (b) cylon writes: `ipc_dump copy` writes what it read from (a), and `ipc_dump sample`
//     a built-in table, in both formats, in batches, sliced, compressed; apache-arrow
//     reads each file (tableFromIPC and a RecordBatchReader) and its values must equal
//     the known ones (the originals from (a), or those the sample printed).
//
// Values are compared in an exact canonical form computed from the buffers on both sides
// (see ipc_dump.c): null, "true"/"false", integers / dates in days / raw timestamps /
// unscaled decimals in decimal, floats as the hex of their bits, bytes as hex.
// Compression codecs for apache-arrow are the zstd and lz4 command-line tools.

import * as A from 'apache-arrow';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const dump = opt('--dump');
if (!dump && !opt('--seeds')) {
  console.error('usage: ipc_diff.mjs --dump PATH_TO_ipc_dump [--keep DIR] | --seeds DIR');
  process.exit(2);
}
const dir = opt('--keep') || opt('--seeds') || mkdtempSync(join(tmpdir(), 'cylon-ipc-'));
let failures = 0, checks = 0;

function fail(what, msg) {
  failures++;
  console.error(`FAIL ${what}: ${msg}`);
}

// ---- codecs: apache-arrow has none built in -------------------------------------------

function haveTool(t) { return spawnSync(t, ['--version']).status === 0; }
for (const t of ['zstd', 'lz4']) {
  if (!haveTool(t)) {
    console.error(`ipc_diff.mjs: the ${t} command is missing (Debian package ${t}); ` +
                  'it is the compression codec given to apache-arrow');
    process.exit(1);
  }
}
const cli = (tool, flags) => (data) =>
  new Uint8Array(execFileSync(tool, [...flags, '-q', '-c'], { input: data }));
A.compressionRegistry.set(A.CompressionType.ZSTD, { encode: cli('zstd', []), decode: cli('zstd', ['-d']) });
A.compressionRegistry.set(A.CompressionType.LZ4_FRAME, { encode: cli('lz4', []), decode: cli('lz4', ['-d']) });

// ---- building vectors of known values from raw storage --------------------------------

function validity(values) {
  const bits = new Uint8Array(Math.max(1, Math.ceil(values.length / 8)));
  let nulls = 0;
  values.forEach((v, i) => { if (v === null) nulls++; else bits[i >> 3] |= 1 << (i & 7); });
  return { nullCount: nulls, nullBitmap: nulls ? bits : undefined };
}

const enc = new TextEncoder();
const toBytes = (v) => (typeof v === 'string' ? enc.encode(v) : v);

// A vector of type from values in their storage form: numbers, BigInts (64-bit ints,
// dates in ms, timestamps, unscaled decimals), booleans, strings or Uint8Arrays; null.
function vec(type, values) {
  const n = values.length, { nullCount, nullBitmap } = validity(values);
  const id = type.typeId;
  if ([A.Type.Utf8, A.Type.LargeUtf8, A.Type.Binary, A.Type.LargeBinary].includes(id)) {
    const large = id === A.Type.LargeUtf8 || id === A.Type.LargeBinary;
    const parts = values.map((v) => (v === null ? new Uint8Array(0) : toBytes(v)));
    const offsets = large ? new BigInt64Array(n + 1) : new Int32Array(n + 1);
    let total = 0;
    parts.forEach((p, i) => { total += p.length; offsets[i + 1] = large ? BigInt(total) : total; });
    const data = new Uint8Array(total);
    let at = 0;
    for (const p of parts) { data.set(p, at); at += p.length; }
    return A.makeVector(A.makeData({ type, length: n, nullCount, nullBitmap, valueOffsets: offsets, data }));
  }
  let data;
  if (id === A.Type.Bool) {
    data = new Uint8Array(Math.max(1, Math.ceil(n / 8)));
    values.forEach((v, i) => { if (v) data[i >> 3] |= 1 << (i & 7); });
  } else if (id === A.Type.Decimal) {
    data = new Uint32Array(4 * n);
    values.forEach((v, i) => {
      let u = BigInt.asUintN(128, v === null ? 0n : v);
      for (let w = 0; w < 4; w++, u >>= 32n) data[4 * i + w] = Number(u & 0xffffffffn);
    });
  } else {
    const Arr = type.ArrayType;
    data = new Arr(n);
    const big = Arr === BigInt64Array || Arr === BigUint64Array;
    values.forEach((v, i) => { data[i] = v === null ? (big ? 0n : 0) : v; });
  }
  return A.makeVector(A.makeData({ type, length: n, nullCount, nullBitmap, data }));
}

// A dictionary-encoded vector: indices (null for null) into dict, a vector of values.
function dictVec(type, dict, indices) {
  const { nullCount, nullBitmap } = validity(indices);
  const data = new type.indices.ArrayType(indices.length);
  indices.forEach((v, i) => { data[i] = v === null ? 0 : v; });
  return A.makeVector(A.makeData({ type, length: indices.length, nullCount, nullBitmap, data, dictionary: dict }));
}

// ---- canonical form from apache-arrow's buffers ----------------------------------------

const UNITS = ['s', 'ms', 'us', 'ns'];

function typeName(t) {
  switch (t.typeId) {
    case A.Type.Dictionary: return typeName(t.dictionary);
    case A.Type.Int: return `${t.isSigned ? 'int' : 'uint'}${t.bitWidth}`;
    case A.Type.Float: return t.precision === 1 ? 'float32' : t.precision === 2 ? 'float64' : 'float16';
    case A.Type.Utf8: return 'utf8';
    case A.Type.LargeUtf8: return 'large_utf8';
    case A.Type.Binary: return 'binary';
    case A.Type.LargeBinary: return 'large_binary';
    case A.Type.Bool: return 'bool';
    case A.Type.Date: return 'date32'; // cylon reads date64 as date32
    case A.Type.Timestamp: return `timestamp[${UNITS[t.unit]}${t.timezone ? ', ' + t.timezone : ''}]`;
    case A.Type.Decimal: return `decimal128(${t.precision}, ${t.scale})`;
    default: return String(t);
  }
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

// Canonical values of one Data chunk.
function canonData(d) {
  const out = [], t = d.type, id = t.typeId;
  const dict = id === A.Type.Dictionary ? canonVector(d.dictionary) : null;
  for (let i = 0; i < d.length; i++) {
    const k = d.offset + i;
    const valid = !(d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length) ||
                  ((d.nullBitmap[k >> 3] >> (k & 7)) & 1) === 1;
    if (!valid) { out.push(null); continue; }
    const v = d.values;
    if (dict) out.push(dict[Number(v[k])]);
    else if (id === A.Type.Bool) out.push(((v[k >> 3] >> (k & 7)) & 1) ? 'true' : 'false');
    else if (id === A.Type.Float && t.precision === 1)
      out.push('0x' + new Uint32Array(v.buffer, v.byteOffset, v.length)[k].toString(16).padStart(8, '0'));
    else if (id === A.Type.Float)
      out.push('0x' + new BigUint64Array(v.buffer, v.byteOffset, v.length)[k].toString(16).padStart(16, '0'));
    else if ([A.Type.Utf8, A.Type.LargeUtf8, A.Type.Binary, A.Type.LargeBinary].includes(id))
      out.push(hex(v.subarray(Number(d.valueOffsets[k]), Number(d.valueOffsets[k + 1]))));
    else if (id === A.Type.Decimal) {
      let u = 0n;
      for (let w = 3; w >= 0; w--) u = (u << 32n) | BigInt(v[4 * k + w]);
      out.push(BigInt.asIntN(128, u).toString());
    } else if (id === A.Type.Date && t.unit === A.DateUnit.MILLISECOND)
      out.push((BigInt(v[k]) / 86400000n).toString());
    else out.push(String(v[k]));
  }
  return out;
}

function canonVector(v) { return v.data.flatMap(canonData); }

function canonTable(t) {
  return {
    schema: t.schema.fields.map((f) => ({ name: f.name, type: typeName(f.type) })),
    batches: t.batches.map((b) => b.numRows),
    columns: t.schema.fields.map((f, i) => t.data.flatMap((d) => canonData(d.children[i]))),
  };
}

// Where two canonical tables differ, or null. Batch lists are compared without empties
// (apache-arrow may drop or keep them).
function diff(want, got, compareBatches = true) {
  const sw = JSON.stringify(want.schema), sg = JSON.stringify(got.schema);
  if (sw !== sg) return `schema ${sg}, want ${sw}`;
  const nz = (b) => JSON.stringify(b.filter((x) => x > 0));
  if (compareBatches && nz(want.batches) !== nz(got.batches))
    return `batches ${JSON.stringify(got.batches)}, want ${JSON.stringify(want.batches)}`;
  for (let c = 0; c < want.columns.length; c++) {
    const a = want.columns[c], b = got.columns[c];
    if (a.length !== b.length) return `column ${want.schema[c].name}: ${b.length} rows, want ${a.length}`;
    for (let r = 0; r < a.length; r++)
      if (a[r] !== b[r]) return `column ${want.schema[c].name} row ${r}: ${JSON.stringify(b[r])}, want ${JSON.stringify(a[r])}`;
  }
  return null;
}

function sliceCanon(c, start, len) {
  const end = Math.min(start + len, c.columns.length ? c.columns[0].length : 0);
  return { schema: c.schema, batches: [], columns: c.columns.map((col) => col.slice(start, end)) };
}

// ---- running ipc_dump -----------------------------------------------------------------

function runDump(cmdArgs) {
  const r = spawnSync(dump, cmdArgs, { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

function writeIPC(table, format, options = {}) {
  const W = format === 'file' ? A.RecordBatchFileWriter : A.RecordBatchStreamWriter;
  const w = new W(options);
  w.writeAll(table);
  return w.toUint8Array(true);
}

// apache-arrow's reading of bytes cylon wrote, canonical, checked against want.
function checkArrowReads(what, bytes, want, compareBatches = true) {
  checks++;
  let got;
  try {
    got = canonTable(A.tableFromIPC(bytes));
    const reader = A.RecordBatchReader.from(bytes);
    const sizes = [];
    for (const b of reader) sizes.push(b.numRows);
    if (JSON.stringify(sizes) !== JSON.stringify(got.batches))
      return fail(what, `RecordBatchReader saw batches ${JSON.stringify(sizes)}, tableFromIPC ${JSON.stringify(got.batches)}`);
  } catch (e) {
    return fail(what, `apache-arrow cannot read cylon's file: ${e.message}`);
  }
  const d = diff(want, got, compareBatches);
  if (d) fail(what, d);
}

// ---- the cases ------------------------------------------------------------------------

const I64 = [-9223372036854775808n, 9223372036854775807n, 0n, -1n, 42n, null, 1234567890123n];
const U64 = [18446744073709551615n, 0n, 1n, null, 9223372036854775808n, 7n, 3n];
const DAY = 86400000n;

function everyTypeColumns(k) {
  const pick = (arr) => Array.from({ length: 7 }, (_, i) => arr[(i + k) % arr.length]);
  return {
    bool: vec(new A.Bool, pick([true, false, null, true, true, false])),
    int8: vec(new A.Int8, pick([-128, 127, 0, null, -1, 5])),
    int16: vec(new A.Int16, pick([-32768, 32767, null, 0, 300])),
    int32: vec(new A.Int32, pick([-2147483648, 2147483647, 0, null, 99999])),
    int64: vec(new A.Int64, pick(I64)),
    uint8: vec(new A.Uint8, pick([255, 0, null, 1])),
    uint16: vec(new A.Uint16, pick([65535, 0, 12345, null])),
    uint32: vec(new A.Uint32, pick([4294967295, 0, null, 7])),
    uint64: vec(new A.Uint64, pick(U64)),
    float32: vec(new A.Float32, pick([-0, 1.5, NaN, Infinity, -Infinity, null, 1e-45, 3.4e38])),
    float64: vec(new A.Float64, pick([-0, 0.1, NaN, Infinity, null, 5e-324, 1e300, -1 / 3])),
    utf8: vec(new A.Utf8, pick(['', 'a', null, 'héllo wörld ✓', '"quoted", comma\n'])),
    large_utf8: vec(new A.LargeUtf8, pick(['x', null, '', 'long string over twelve bytes'])),
    binary: vec(new A.Binary, pick([new Uint8Array([0, 255, 10]), null, new Uint8Array(0)])),
    large_binary: vec(new A.LargeBinary, pick([new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]), null])),
    date_day: vec(new A.DateDay, pick([0, -719162, 2932896, null, 19000])),
    date_ms: vec(new A.DateMillisecond, pick([0n, -5n * DAY, null, 20000n * DAY])),
    ts_s: vec(new A.TimestampSecond, pick([0n, -1n, null, 253402300799n])),
    ts_ms: vec(new A.TimestampMillisecond('UTC'), pick([1700000000123n, null, -62135596800000n])),
    ts_us: vec(new A.TimestampMicrosecond('America/New_York'), pick([1n, null, -9223372036854775807n])),
    ts_ns: vec(new A.TimestampNanosecond, pick([9223372036854775807n, -42n, null])),
    dec38: vec(new A.Decimal(9, 38, 128), pick([99999999999999999999999999999999999999n, -99999999999999999999999999999999999999n, 0n, null, -1n])),
    dec7: vec(new A.Decimal(2, 7, 128), pick([12345n, -1n, null, 9999999n])),
  };
}

// One record batch of the columns. (In apache-arrow 21 new A.RecordBatch(columns) drops
// dictionaries and a Table of empty columns has a batch without children; a Table of the
// columns, and slice(0, 0) for an empty batch, work.)
function batchOf(cols) {
  const t = new A.Table(cols);
  if (t.batches.length !== 1) throw new Error(`expected one batch, got ${t.batches.length}`);
  return t.batches[0];
}

function everyTypeTable() {
  const b1 = batchOf(everyTypeColumns(0));
  const b2 = b1.slice(0, 0);
  const b3 = batchOf(everyTypeColumns(3));
  return new A.Table([b1, b2, b3]);
}

const strVec = (arr) => vec(new A.Utf8, arr);

// Dictionary-encoded strings: shared dictionaries, int8 / uint16 / int64 indices, nulls
// in indices and in the dictionary, and a dictionary that grows (a delta batch).
function dictionaryTable() {
  const t32 = new A.Dictionary(new A.Utf8, new A.Int32, 1);
  const t8 = new A.Dictionary(new A.Utf8, new A.Int8, 2);
  const tu16 = new A.Dictionary(new A.Int64, new A.Uint16, 3);
  const d1 = strVec(['apple', 'banana', null, '']);
  const d1b = d1.concat(strVec(['cherry', 'durian']));
  const d2 = strVec(['x', 'y']);
  const d3 = vec(new A.Int64, [10n, -20n, 30n]);
  const batch = (idx32, dict32, idx8, idx16) => batchOf({
    fruit: dictVec(t32, dict32, idx32),
    letter: dictVec(t8, d2, idx8),
    number: dictVec(tu16, d3, idx16),
  });
  return new A.Table([
    batch([0, 1, null, 2, 3, 1], d1, [0, 1, 1, null, 0, 0], [2, 1, 0, null, 0, 2]),
    batch([4, 5, 0, null], d1b, [1, 1, 0, 0], [0, 0, 0, 1]),
  ]);
}

// A stream whose second batch replaces the dictionary (not allowed in files).
function replacementTable() {
  const t = new A.Dictionary(new A.Utf8, new A.Int32, 5);
  return new A.Table([
    batchOf({ s: dictVec(t, strVec(['a', 'b']), [0, 1, 1]) }),
    batchOf({ s: dictVec(t, strVec(['c', 'd', 'e']), [2, 0, null]) }),
  ]);
}

function emptyTables() {
  const cols = { a: vec(new A.Int64, [1n]), s: vec(new A.Utf8, ['x']) };
  return [['one_empty_batch', new A.Table([batchOf(cols).slice(0, 0)])],
          ['no_batches', new A.Table(new A.Schema([new A.Field('a', new A.Int64), new A.Field('s', new A.Utf8)]))]];
}

// A longer table that compression really shrinks.
function compressibleTable() {
  const n = 5000;
  return new A.Table({
    k: vec(new A.Int64, Array.from({ length: n }, (_, i) => (i % 50 === 7 ? null : BigInt(i % 13)))),
    s: vec(new A.Utf8, Array.from({ length: n }, (_, i) => (i % 3 ? 'repeated text' : null))),
    f: vec(new A.Float64, Array.from({ length: n }, (_, i) => i / 8)),
  });
}

// (a) apache-arrow writes, cylon reads; then (b) cylon writes that back, apache-arrow reads.
function roundTrip(name, table, formats = ['stream', 'file'], writerOptions = {}, copies = true) {
  const want = canonTable(table);
  for (const format of formats) {
    const what = `${name} (${format})`;
    const path = join(dir, `${name}.${format === 'file' ? 'arrow' : 'arrows'}`);
    writeFileSync(path, writeIPC(table, format, writerOptions));
    checks++;
    const r = runDump(['read', path]);
    if (r.status !== 0) { fail(`${what}: cylon reads`, r.err.trim()); continue; }
    const d = diff(want, JSON.parse(r.out));
    if (d) fail(`${what}: cylon reads`, d);
    if (!copies) continue;
    const variants = [['stream'], ['file'], ['file', '--batch-rows', '3'], ['stream', '--batch-rows', '2'],
                      ['stream', '--codec', 'zstd'], ['file', '--codec', 'lz4', '--batch-rows', '4'],
                      ['stream', '--slice', '3', '6'], ['file', '--slice', '1', '100', '--batch-rows', '5']];
    for (const [fmt, ...rest] of variants) {
      const out = join(dir, `${name}.copy.${fmt}`);
      const label = `${what}: cylon writes ${[fmt, ...rest].join(' ')}`;
      const w = runDump(['copy', path, out, ...(fmt === 'file' ? ['--file'] : []), ...rest]);
      if (w.status !== 0) { fail(label, w.err.trim()); continue; }
      const printed = JSON.parse(w.out);
      const si = rest.indexOf('--slice');
      const expected = si >= 0 ? sliceCanon(want, Number(rest[si + 1]), Number(rest[si + 2])) : want;
      if (diff(expected, printed, false)) fail(label, 'ipc_dump wrote other values: ' + diff(expected, printed, false));
      checkArrowReads(label, readFileSync(out), { ...expected, batches: printed.batches });
    }
  }
}

// (b) cylon's own table of known values, written every way, read by apache-arrow.
function sampleChecks() {
  const variants = [[], ['--file'], ['--batch-rows', '5'], ['--file', '--batch-rows', '1'],
                    ['--codec', 'lz4'], ['--file', '--codec', 'zstd', '--batch-rows', '7'],
                    ['--slice', '3', '11'], ['--file', '--slice', '9', '0']];
  for (const v of variants) {
    const out = join(dir, `sample${v.join('')}.arrow`);
    const label = `cylon sample ${v.join(' ') || '(stream)'}`;
    const w = runDump(['sample', out, ...v]);
    if (w.status !== 0) { fail(label, w.err.trim()); continue; }
    checkArrowReads(label, readFileSync(out), JSON.parse(w.out));
  }
}

// Types cylon does not hold must be refused with an error naming the field and type.
function refusals() {
  const cases = [
    ['float16', new A.Table({ h: vec(new A.Float16, [1, 2]) }), 'float16'],
    ['list', new A.Table({ l: A.vectorFromArray([[1, 2], [3]], new A.List(new A.Field('item', new A.Int32))) }), 'nested type list'],
    ['struct', new A.Table({ st: A.vectorFromArray([{ a: 1 }], new A.Struct([new A.Field('a', new A.Int32)])) }), 'nested type struct'],
    ['decimal256', new A.Table({ d: vec(new A.Decimal(0, 40, 256), []) }), 'decimal256'],
    ['time', new A.Table({ t: A.vectorFromArray([1, 2], new A.TimeMillisecond) }), 'time'],
    ['date64_partial_day', new A.Table({ d: vec(new A.DateMillisecond, [DAY, DAY + 5n]) }), 'not a whole day'],
  ];
  for (const [name, table, needle] of cases) {
    for (const format of ['stream', 'file']) {
      checks++;
      const path = join(dir, `refuse_${name}.${format}`);
      let bytes;
      try { bytes = writeIPC(table, format); } catch (e) { fail(`refuse ${name}`, `apache-arrow: ${e.message}`); continue; }
      writeFileSync(path, bytes);
      const r = runDump(['read', path]);
      if (r.status === 0) fail(`refuse ${name} (${format})`, 'cylon read it');
      else if (!r.err.includes(needle) || !r.err.includes(table.schema.fields[0].name))
        fail(`refuse ${name} (${format})`, `error does not name "${needle}" and the field: ${r.err.trim()}`);
    }
  }
}

// --seeds DIR: write the fuzzer's seed corpus (fuzz/corpus/fuzz_ipc), small files of
// every kind above, and stop.
function seeds() {
  const small = new A.Table({
    k: vec(new A.Int64, Array.from({ length: 300 }, (_, i) => (i % 9 ? BigInt(i % 4) : null))),
    s: vec(new A.Utf8, Array.from({ length: 300 }, (_, i) => (i % 5 ? 'ab' : null))),
  });
  const kinds = [
    ['every_type', everyTypeTable(), ['stream', 'file'], {}],
    ['dictionary', dictionaryTable(), ['stream', 'file'], {}],
    ['dict_replacement', replacementTable(), ['stream'], {}],
    ['legacy', replacementTable(), ['stream'], { writeLegacyIpcFormat: true }],
    ['zstd', small, ['stream', 'file'], { compressionType: A.CompressionType.ZSTD }],
    ['lz4', small, ['stream'], { compressionType: A.CompressionType.LZ4_FRAME }],
    ...emptyTables().map(([name, t]) => [name, t, ['stream', 'file'], {}]),
  ];
  for (const [name, table, formats, options] of kinds) {
    for (const format of formats) {
      const bytes = writeIPC(table, format, options);
      if (bytes.length > 8192) console.error(`seed ${name} ${format}: ${bytes.length} bytes, over fuzz max_len`);
      writeFileSync(join(dir, `${name}.${format === 'file' ? 'arrow' : 'arrows'}`), bytes);
    }
  }
}
if (opt('--seeds')) {
  seeds();
  process.exit(0);
}

roundTrip('every_type', everyTypeTable());
roundTrip('dictionary', dictionaryTable());
roundTrip('dict_replacement', replacementTable(), ['stream']);
for (const [name, t] of emptyTables()) roundTrip(name, t);
roundTrip('legacy_prefix', everyTypeTable(), ['stream'], { writeLegacyIpcFormat: true }, false);
roundTrip('lz4', compressibleTable(), ['stream', 'file'], { compressionType: A.CompressionType.LZ4_FRAME }, false);
roundTrip('zstd', everyTypeTable(), ['stream', 'file'], { compressionType: A.CompressionType.ZSTD }, false);
roundTrip('zstd_big', compressibleTable(), ['file'], { compressionType: A.CompressionType.ZSTD });
sampleChecks();
refusals();

if (!opt('--keep')) rmSync(dir, { recursive: true, force: true });
console.log(`ipc_diff: ${checks - failures} of ${checks} checks passed`);
process.exit(failures ? 1 : 0);

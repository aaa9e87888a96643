import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ErrorCodes, getSignal, StaydownError } from '@staydown/core';
import { parse as parseCsv } from 'csv-parse';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { type Entry, LONE_SURROGATE } from './store.js';

/**
 * The list file formats and their line-level parsing and printing.
 *
 * - csv:   header row; columns signal,hash,list,label,ref,added_at,source (aliases accepted).
 * - jsonl: one JSON object per line with the same fields.
 * - text:  one hex hash per line; the signal comes from the caller (`--signal`).
 * - hma:   Meta Hasher-Matcher-Actioner's local file: one hash per line, optionally preceded
 *          by its signal type and a space (`pdq <hex>`); `#` comments and blank lines skipped.
 *
 * csv and jsonl carry every field, so two Staydown installations exchange lists losslessly;
 * text and hma carry only signal and hash.
 */
export const LIST_FORMATS = ['csv', 'jsonl', 'text', 'hma'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

export function parseListFormat(name: string): ListFormat {
  const lower = name.toLowerCase();
  if ((LIST_FORMATS as readonly string[]).includes(lower)) return lower as ListFormat;
  throw new StaydownError(
    ErrorCodes.UNKNOWN_FORMAT,
    `unknown list format ${JSON.stringify(name)}; known: ${LIST_FORMATS.join(', ')}`,
    {
      details: { format: name },
    },
  );
}

const EXTENSIONS: Record<string, ListFormat> = {
  '.csv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.txt': 'text',
  '.text': 'text',
  '.hma': 'hma',
};

/** The format a file name implies; throws UNKNOWN_FORMAT when the extension says nothing. */
export function formatFromPath(file: string): ListFormat {
  const format = EXTENSIONS[path.extname(file).toLowerCase()];
  if (!format) {
    throw new StaydownError(
      ErrorCodes.UNKNOWN_FORMAT,
      `cannot tell the format of ${path.basename(file)} from its extension; pass --format (${LIST_FORMATS.join(', ')})`,
      { details: { file } },
    );
  }
  return format;
}

/** HMA's signal type names → ours. HMA has no photo MD5 type: its file MD5 type is video_md5. */
const FROM_HMA: Record<string, string> = { pdq: 'pdq', video_md5: 'md5', photo_md5: 'md5', md5: 'md5' };
const TO_HMA: Record<string, string> = { pdq: 'pdq', md5: 'video_md5' };

export const hmaSignalName = (signal: string) => TO_HMA[signal] ?? signal;

/** One parsed line before validation: whatever fields the format carried. */
export interface RawRow {
  line: number;
  signal?: string;
  hash?: string;
  list?: string;
  label?: string;
  ref?: string;
  addedAt?: string;
  source?: string;
}

/** A line that could not even be split into fields (bad JSON, broken CSV quoting). */
export interface RawError {
  line: number;
  error: StaydownError;
}

const CSV_ALIASES: Record<string, keyof Omit<RawRow, 'line'>> = {
  signal: 'signal',
  signal_type: 'signal',
  type: 'signal',
  hash_type: 'signal',
  algorithm: 'signal',
  hash: 'hash',
  value: 'hash',
  signal_value: 'hash',
  digest: 'hash',
  hex: 'hash',
  list: 'list',
  list_name: 'list',
  bank: 'list',
  label: 'label',
  category: 'label',
  grade: 'label',
  classification: 'label',
  ref: 'ref',
  reference: 'ref',
  external_ref: 'ref',
  external_id: 'ref',
  case: 'ref',
  case_id: 'ref',
  source_id: 'ref',
  id: 'ref',
  added_at: 'addedAt',
  addedat: 'addedAt',
  added: 'addedAt',
  source: 'source',
  origin: 'source',
};

type RowField = keyof Omit<RawRow, 'line'>;

/**
 * The field a column or JSON key names, or undefined. An own-property lookup: a plain object
 * indexed with `constructor` or `__proto__` would hand back Object's own members.
 */
function aliasOf(name: string): RowField | undefined {
  return Object.hasOwn(CSV_ALIASES, name) ? CSV_ALIASES[name] : undefined;
}

/** JSON keys seen so far and their fields (null: ignored), so each line's keys cost one lookup. */
const jsonKeyFields = new Map<string, RowField | null>();

function jsonKeyField(key: string): RowField | null {
  let field = jsonKeyFields.get(key);
  if (field === undefined) {
    field = aliasOf(key.toLowerCase()) ?? null;
    if (jsonKeyFields.size < 1024) jsonKeyFields.set(key, field);
  }
  return field;
}

/** The name Staydown itself writes for each field (CSV_HEADER). */
const CANONICAL_COLUMN: Record<RowField, string> = {
  signal: 'signal',
  hash: 'hash',
  list: 'list',
  label: 'label',
  ref: 'ref',
  addedAt: 'added_at',
  source: 'source',
};

/**
 * The field each header column feeds, or `ignored:<name>`. Several columns may name one
 * field (a `ref` column beside a row `id`, `label` beside `category`): the column named as
 * Staydown writes it wins and the others are ignored; with no such column the header is
 * ambiguous and refused, rather than one column's values silently replacing another's.
 */
function csvColumns(header: string[]): string[] {
  const keys = header.map((h) =>
    h
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_'),
  );
  const fields = keys.map((key) => aliasOf(key));
  return keys.map((key, i) => {
    const field = fields[i];
    if (field === undefined) return `ignored:${key}`;
    const rivals = keys.filter((_, j) => fields[j] === field);
    if (rivals.length === 1) return field;
    if (key === CANONICAL_COLUMN[field]) return field;
    if (rivals.includes(CANONICAL_COLUMN[field])) return `ignored:${key}`;
    throw new StaydownError(
      ErrorCodes.IMPORT_INVALID_HEADER,
      `CSV header: columns ${rivals.map((r) => JSON.stringify(r)).join(' and ')} all give the ${CANONICAL_COLUMN[field]} field; rename all but one (or add a "${CANONICAL_COLUMN[field]}" column, which wins)`,
      { details: { columns: rivals, field: CANONICAL_COLUMN[field] } },
    );
  });
}

/**
 * A line whose bytes are not UTF-8 is refused, not decoded: decoding turns each bad byte into
 * U+FFFD, so two list names that differ only there would become one list, and a label would
 * change without a word.
 */
const notUtf8 = (line: number): RawError => ({
  line,
  error: new StaydownError(ErrorCodes.IMPORT_INVALID_LINE, 'line is not valid UTF-8', { details: { line } }),
});

const invalidLine = (line: number, message: string) =>
  new StaydownError(ErrorCodes.IMPORT_INVALID_LINE, message, { details: { line } });

/** Parses a list file into rows, streaming (memory stays bounded whatever the file size). */
export async function* readRows(input: Readable, format: ListFormat): AsyncGenerator<RawRow | RawError> {
  for await (const rows of readRowBatches(input, format)) yield* rows;
}

/**
 * The rows of a list file, one array per chunk read: one await per chunk instead of one per
 * line (an async generator step per line cost more than parsing the line).
 */
export async function* readRowBatches(input: Readable, format: ListFormat): AsyncGenerator<Array<RawRow | RawError>> {
  if (format === 'csv') {
    yield* readCsvBatches(input);
    return;
  }
  if (format === 'text' || format === 'hma') {
    for await (const batch of readPlainBatches(input, format, 0)) yield batch.rows as Array<RawRow | RawError>;
    return;
  }
  let line = 0;
  for await (const lines of splitLineBatches(input)) {
    const rows: Array<RawRow | RawError> = [];
    for (const text of lines) {
      line++;
      if (typeof text === 'number') {
        rows.push(tooLongLine(line, text));
        continue;
      }
      if (text === NOT_UTF8) {
        rows.push(notUtf8(line));
        continue;
      }
      const trimmed = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
      if (trimmed === '' || trimmed.charCodeAt(0) === 35) continue; // '#'
      rows.push(parseJsonLine(line, trimmed));
    }
    if (rows.length > 0) yield rows;
  }
}

/**
 * One chunk's rows of a text or HMA list. A number n in `rows` is a line that holds only a
 * hash of `hashBytes` bytes in lowercase hex, its bytes at `hashes[n × hashBytes]`.
 */
export interface PlainBatch {
  rows: Array<RawRow | RawError | number>;
  hashes: Uint8Array;
}

/** Hex digit values by byte, lowercase only (-1: anything else). */
const LOWER_HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 16; c++) LOWER_HEX['0123456789abcdef'.charCodeAt(c)] = c;

/** Space, \t, \n, \v, \f, \r. */
const isAsciiBlank = (b: number) => b === 32 || (b >= 9 && b <= 13);

/**
 * The rows of a text or HMA list, read as bytes. With `hashBytes` > 0, a line that is just a
 * lowercase hex hash of that many bytes (nearly every line of a large list) is decoded straight
 * from the bytes read: no string, row object or second hex pass per line, which cost a text
 * import more than all the rest of its parsing. Every other line is decoded and parsed as
 * text, exactly as before, so comments, blank lines, a byte-order mark, other whitespace,
 * uppercase, HMA's `<signal> <hash>` and bad lines are read and reported the same way.
 */
export async function* readPlainBatches(
  input: Readable,
  format: 'text' | 'hma',
  hashBytes: number,
): AsyncGenerator<PlainBatch> {
  const digits = hashBytes * 2;
  let line = 0;
  let batch: PlainBatch = newBatch(0, 0);
  let count = 0;
  const take = (bytes: Buffer, from: number, to: number) => {
    line++;
    let s = from;
    let e = to;
    while (s < e && isAsciiBlank(bytes[s])) s++;
    while (e > s && isAsciiBlank(bytes[e - 1])) e--;
    if (s === e || bytes[s] === 35) return; // blank, or a '#' comment
    if (e - s === digits) {
      const at = count * hashBytes;
      let bad = 0;
      for (let k = 0; k < hashBytes; k++) {
        const hi = LOWER_HEX[bytes[s + 2 * k]];
        const lo = LOWER_HEX[bytes[s + 2 * k + 1]];
        bad |= hi | lo;
        batch.hashes[at + k] = (hi << 4) | lo;
      }
      if (bad >= 0) {
        batch.rows.push(count++);
        return;
      }
    }
    if (!isUtf8(bytes.subarray(from, to))) {
      batch.rows.push(notUtf8(line));
      return;
    }
    let text = bytes.toString('utf8', from, to > from && bytes[to - 1] === 13 ? to - 1 : to);
    if (line === 1) text = text.replace(/^\uFEFF/, '');
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.charCodeAt(0) === 35) return; // '#'
    batch.rows.push(format === 'text' ? { line, hash: trimmed } : parseHmaLine(line, trimmed));
  };
  const splitter = new LineSplitter(take, (length) => {
    line++;
    batch.rows.push(tooLongLine(line, length));
  });
  for await (const bytes of byteChunks(input)) {
    // Each hash line takes its digits and a newline.
    batch = newBatch(hashBytes > 0 ? Math.ceil((splitter.pending + bytes.length) / (digits + 1)) : 0, hashBytes);
    count = 0;
    splitter.push(bytes);
    if (batch.rows.length > 0) yield batch;
  }
  batch = newBatch(1, hashBytes);
  count = 0;
  splitter.end();
  if (batch.rows.length > 0) yield batch;
}

function newBatch(maxHashes: number, hashBytes: number): PlainBatch {
  return { rows: [], hashes: new Uint8Array(maxHashes * hashBytes) };
}

/**
 * A stream's chunks as bytes. String chunks are encoded as UTF-8, each holding back a final
 * high surrogate for the next: a character outside the BMP (an emoji) cut between two string
 * chunks, encoded half by half, became two replacement characters.
 */
async function* byteChunks(input: Readable): AsyncGenerator<Buffer> {
  let held = '';
  for await (const chunk of input) {
    if (typeof chunk !== 'string') {
      if (held !== '') yield Buffer.from(held, 'utf8');
      held = '';
      const bytes = chunk as Uint8Array;
      yield Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      continue;
    }
    let text = held + chunk;
    held = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      held = text.slice(-1);
      text = text.slice(0, -1);
    }
    if (text !== '') yield Buffer.from(text, 'utf8');
  }
  if (held !== '') yield Buffer.from(held, 'utf8');
}

/**
 * The longest line a list file may hold. No hash list needs more (a CSV or JSONL row is a hash
 * and a few short fields); a longer one is a wrong or corrupt file, such as a binary or
 * compressed one with no newline for hundreds of megabytes. Kept whole, such a line was
 * copied again with every chunk read: a 64 MB line took half a minute.
 */
export const MAX_LINE_BYTES = 1 << 20;

function tooLongLine(line: number, length: number): RawError {
  return {
    line,
    error: new StaydownError(
      ErrorCodes.IMPORT_INVALID_LINE,
      `line is ${length} bytes long, more than a list line may hold (${MAX_LINE_BYTES}): not a hash list line`,
      { details: { line, bytes: length } },
    ),
  };
}

/**
 * Splits a byte stream into lines at '\n', as its chunks arrive: `line(bytes, from, to)` for
 * each line (without its '\n'; a '\r' before it is left to the caller), `tooLong(length)` for
 * each line longer than `maxLine` (MAX_LINE_BYTES), whose bytes are dropped as they come
 * rather than kept.
 * A '\n' byte never occurs inside a multi-byte UTF-8 character, so splitting bytes is safe.
 */
export class LineSplitter {
  /** The start of a line whose end has not been read yet. */
  private rest: Buffer | undefined;
  /** Bytes of a too-long line dropped so far (0: not in one). */
  private dropped = 0;

  constructor(
    private readonly line: (bytes: Buffer, from: number, to: number) => void,
    private readonly tooLong: (length: number) => void,
    private readonly maxLine = MAX_LINE_BYTES,
  ) {}

  /** Bytes held from earlier chunks (the start of the current line). */
  get pending(): number {
    return this.rest?.length ?? 0;
  }

  push(data: Buffer): void {
    let bytes = data;
    if (this.dropped > 0) {
      const nl = bytes.indexOf(10);
      if (nl === -1) {
        this.dropped += bytes.length;
        return;
      }
      this.tooLong(this.dropped + nl);
      this.dropped = 0;
      bytes = bytes.subarray(nl + 1);
    }
    const chunk = this.rest ? Buffer.concat([this.rest, bytes]) : bytes;
    this.rest = undefined;
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      if (nl - start > this.maxLine) this.tooLong(nl - start);
      else this.line(chunk, start, nl);
      start = nl + 1;
    }
    if (chunk.length - start > this.maxLine) this.dropped = chunk.length - start;
    else if (start < chunk.length) this.rest = chunk.subarray(start);
  }

  /** The last line, when the stream does not end with '\n'. */
  end(): void {
    if (this.dropped > 0) this.tooLong(this.dropped);
    else if (this.rest) this.line(this.rest, 0, this.rest.length);
    this.dropped = 0;
    this.rest = undefined;
  }
}

/**
 * The lines of a stream, one array per chunk read, each line a string (without '\r\n' or
 * '\n') or, for a line longer than MAX_LINE_BYTES, its length. The stream is read only as fast
 * as lines are consumed, so memory stays bounded (readline's async iterator buffers ahead of
 * a slow consumer).
 */
/** Stands for a line whose bytes are not UTF-8 in splitLineBatches' output. */
const NOT_UTF8 = Symbol('not UTF-8');

async function* splitLineBatches(input: Readable): AsyncGenerator<Array<string | number | typeof NOT_UTF8>> {
  let lines: Array<string | number | typeof NOT_UTF8> = [];
  const splitter = new LineSplitter(
    (bytes, from, to) =>
      lines.push(
        isUtf8(bytes.subarray(from, to))
          ? bytes.toString('utf8', from, to > from && bytes[to - 1] === 13 ? to - 1 : to)
          : NOT_UTF8,
      ),
    (length) => lines.push(length),
  );
  for await (const bytes of byteChunks(input)) {
    splitter.push(bytes);
    if (lines.length > 0) {
      yield lines;
      lines = [];
    }
  }
  splitter.end();
  if (lines.length > 0) yield lines;
}

function parseHmaLine(line: number, text: string): RawRow | RawError {
  const parts = text.split(/\s+/);
  if (parts.length === 1) return { line, hash: parts[0] };
  if (parts.length === 2) {
    const type = parts[0].toLowerCase();
    return { line, signal: Object.hasOwn(FROM_HMA, type) ? FROM_HMA[type] : parts[0], hash: parts[1] };
  }
  return { line, error: invalidLine(line, 'expected "<signal type> <hash>" or a bare hash') };
}

function parseJsonLine(line: number, text: string): RawRow | RawError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { line, error: invalidLine(line, 'not valid JSON') };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { line, error: invalidLine(line, 'expected a JSON object') };
  }
  const row: RawRow = { line };
  const object = value as Record<string, unknown>;
  for (const k in object) {
    const v = object[k];
    const field = jsonKeyField(k);
    if (!field || v === null || v === undefined) continue;
    if (typeof v !== 'string' && typeof v !== 'number') {
      return { line, error: invalidLine(line, `field ${k} must be a string`) };
    }
    // An escaped lone surrogate ("\ud83d") is not text: stored as UTF-8 it would become U+FFFD.
    if (typeof v === 'string' && LONE_SURROGATE.test(v)) {
      return { line, error: invalidLine(line, `field ${k} is not well-formed Unicode (a lone surrogate)`) };
    }
    row[field] = String(v);
  }
  return row;
}

/**
 * CSV rows, one array per chunk read. Records are taken from the parser's 'data' events,
 * which it emits synchronously while a chunk is written; `parser.info.bytes` is then the
 * offset just past the record, and the record's line is found by counting '\n' in the bytes
 * up to there (LineCounter). csv-parse's own `info: true` numbers lines too, but builds an
 * info object per record (that, and one await per row, made CSV imports 3× slower than
 * text), and counts a CRLF inside a quoted field as two lines. Malformed records arrive in
 * the same order through `on_skip`.
 */
async function* readCsvBatches(input: Readable): AsyncGenerator<Array<RawRow | RawError>> {
  let batch: Array<RawRow | RawError> = [];
  let failure: unknown;
  const lines = new LineCounter();
  const utf8 = new NonUtf8Lines();
  // csv-parse's count less ours at the last record: corrects the line it gives a bad record.
  let drift = 0;
  // The first line after the last record read (the header included): where the next begins,
  // or a blank line before it.
  let nextRecordLine = 1;
  const parser = parseCsv({
    bom: true,
    columns: (header: string[]) => {
      const columns = csvColumns(header);
      nextRecordLine = lines.lineEndingAt(parser.info.bytes) + 1;
      return columns;
    },
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    skip_records_with_error: true,
    max_record_size: MAX_LINE_BYTES,
    on_skip: (err) => {
      const reported = (err as { lines?: number } | undefined)?.lines;
      const line = reported === undefined ? lines.lineAfter(parser.info.bytes) : reported - drift;
      const code = (err as { code?: string } | undefined)?.code;
      if (code === 'CSV_MAX_RECORD_SIZE') {
        // Not a list (a binary or compressed file), or a quote left open: csv-parse does not
        // find the next record after this either. Where it gave up says nothing; where the
        // record began does (the open quote is there).
        const start = nextRecordLine;
        failure ??= new StaydownError(
          ErrorCodes.IMPORT_INVALID_LINE,
          `malformed CSV at line ${start}: the record starting there (or after blank lines) is longer than ${MAX_LINE_BYTES} bytes (is this a CSV hash list? a quote left open makes the rest of the file one field); nothing was imported`,
          { details: { line: start, bytes: MAX_LINE_BYTES } },
        );
        return undefined;
      }
      if (code === 'CSV_INVALID_CLOSING_QUOTE') {
        // csv-parse does not find its way back after this one: it drops or mangles the
        // records that follow without a word. Refusing the file loses nothing; skipping it did.
        failure ??= new StaydownError(
          ErrorCodes.IMPORT_INVALID_LINE,
          `malformed CSV at line ${line}: a quoted field is followed by other characters, and the rows after it cannot be read reliably; nothing was imported (inside a quoted field a quote is written twice)`,
          { details: { line } },
        );
        return undefined;
      }
      batch.push({ line, error: invalidLine(line, `malformed CSV: ${err?.message ?? 'unreadable record'}`) });
      nextRecordLine = line + 1;
      return undefined;
    },
  });
  parser.on('data', (record: Record<string, string>) => {
    const line = lines.lineEndingAt(parser.info.bytes);
    drift = parser.info.lines - line;
    const first = nextRecordLine;
    nextRecordLine = line + 1;
    const bad = utf8.firstBadIn(first, line);
    if (bad !== undefined) {
      batch.push(notUtf8(bad));
      return;
    }
    const row: RawRow = { line };
    for (const k in record) {
      const v = record[k];
      if (v !== '' && v !== undefined && !k.startsWith('ignored:')) row[k as keyof Omit<RawRow, 'line'>] = v;
    }
    batch.push(row);
  });
  parser.on('error', (error) => {
    failure ??= error;
  });
  const ended = new Promise<void>((resolve) => {
    parser.on('end', resolve);
    parser.on('error', () => resolve());
  });
  const take = () => {
    if (failure !== undefined) throw failure;
    const rows = batch;
    batch = [];
    return rows;
  };
  for await (const bytes of byteChunks(input)) {
    lines.next(bytes);
    utf8.next(bytes, lines.newlinesBeforeChunk);
    parser.write(bytes);
    const rows = take();
    if (rows.length > 0) yield rows;
  }
  // Only the last record, ending where the stream does, is still to come: counting to the
  // end first changes no line it is given.
  utf8.end(lines.newlinesToEnd());
  parser.end();
  await ended;
  const rows = take();
  if (rows.length > 0) yield rows;
}

/**
 * The lines of a stream written chunk by chunk whose bytes are not UTF-8. Whole lines are
 * checked at once with the native check; only a region that fails is looked at line by line,
 * numbered from the newlines LineCounter has already counted before it. csv-parse decodes
 * for itself, turning bad bytes into U+FFFD.
 */
class NonUtf8Lines {
  private readonly bad: number[] = [];
  private next_ = 0;
  /** The bytes after the last '\n' seen (none of them a '\n'). */
  private carry: Buffer = Buffer.alloc(0);

  /** `linesBefore`: the '\n' in the stream before `chunk`; the carry is on the line after them. */
  next(chunk: Buffer, linesBefore: number): void {
    const nl = chunk.lastIndexOf(10);
    if (nl === -1) {
      this.carry = Buffer.concat([this.carry, chunk]);
      return;
    }
    const whole = chunk.subarray(0, nl + 1);
    this.check(this.carry.length > 0 ? Buffer.concat([this.carry, whole]) : whole, linesBefore + 1);
    this.carry = chunk.subarray(nl + 1);
  }

  /** `lines`: every '\n' in the stream. */
  end(lines: number): void {
    if (this.carry.length > 0) this.check(this.carry, lines + 1);
    this.carry = Buffer.alloc(0);
  }

  /** The first bad line from `from` to `to` (lines before `from` are passed over for good). */
  firstBadIn(from: number, to: number): number | undefined {
    while (this.next_ < this.bad.length && this.bad[this.next_] < from) this.next_++;
    return this.next_ < this.bad.length && this.bad[this.next_] <= to ? this.bad[this.next_] : undefined;
  }

  private check(region: Buffer, firstLine: number): void {
    if (isUtf8(region)) return;
    let line = firstLine;
    let start = 0;
    for (let nl = region.indexOf(10); nl !== -1; nl = region.indexOf(10, start)) {
      if (!isUtf8(region.subarray(start, nl))) this.bad.push(line);
      line++;
      start = nl + 1;
    }
    if (start < region.length && !isUtf8(region.subarray(start))) this.bad.push(line);
  }
}

/**
 * Line numbers from byte offsets in a stream written chunk by chunk, for offsets that only
 * grow and fall in the latest chunk: each byte is looked at once.
 */
class LineCounter {
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkStart = 0;
  /** Bytes before `counted` hold `newlines` '\n', and the one just before it is `last`. */
  private counted = 0;
  private newlines = 0;
  private last = -1;

  next(chunk: Uint8Array): void {
    this.countTo(this.chunkStart + this.chunk.length);
    this.chunkStart += this.chunk.length;
    this.chunk = chunk;
  }

  /** The line of a record whose bytes end at `offset` (its final '\n', if any, included). */
  lineEndingAt(offset: number): number {
    this.countTo(offset);
    return this.newlines + (this.last === 10 || offset === 0 ? 0 : 1);
  }

  /** The line that starts at `offset` (just after a record). */
  lineAfter(offset: number): number {
    this.countTo(offset);
    return this.newlines + 1;
  }

  /** The '\n' before the latest chunk (next() has counted everything before it). */
  get newlinesBeforeChunk(): number {
    return this.newlines;
  }

  /** Every '\n' written so far. */
  newlinesToEnd(): number {
    this.countTo(this.chunkStart + this.chunk.length);
    return this.newlines;
  }

  private countTo(offset: number): void {
    const end = Math.min(offset, this.chunkStart + this.chunk.length) - this.chunkStart;
    for (let i = this.counted - this.chunkStart; i < end; i++) {
      const b = this.chunk[i];
      if (b === 10) this.newlines++;
      this.last = b;
    }
    if (end + this.chunkStart > this.counted) this.counted = end + this.chunkStart;
  }
}

export function openFile(file: string): Readable {
  return createReadStream(file);
}

// ---- printing ------------------------------------------------------------------------------

export const CSV_HEADER = ['signal', 'hash', 'list', 'label', 'ref', 'added_at', 'source'];

export function csvLines(entries: readonly Entry[], withHeader: boolean): string {
  const rows = entries.map((e) => [e.signal, e.hash, e.list, e.label ?? '', e.ref ?? '', e.addedAt, e.source ?? '']);
  // Fields with whitespace at either end are quoted: the importer trims unquoted fields, and
  // an exported list must come back as it left.
  return stringifyCsv(withHeader ? [CSV_HEADER, ...rows] : rows, { quoted_match: /^\s|\s$/ });
}

export function jsonLine(e: Entry): string {
  return `${JSON.stringify({
    signal: e.signal,
    hash: e.hash,
    list: e.list,
    label: e.label,
    ref: e.ref,
    added_at: e.addedAt,
    source: e.source,
  })}\n`;
}

/** Validates the signal name a text/hma export or import is about. */
export function signalName(name: string): string {
  return getSignal(name).name;
}

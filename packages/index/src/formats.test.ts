import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter, type RawError, type RawRow, readPlainBatches, readRowBatches } from './formats.js';

const HASH = 'a0'.repeat(32);

/** Lines a text or HMA list may hold, good and bad. */
const lineArb = fc.oneof(
  fc.constantFrom(HASH, '0f'.repeat(32), 'ff'.repeat(16)),
  fc.constantFrom(
    'A0'.repeat(32), // uppercase: normalized later, not decoded here
    ` \t${HASH}  `,
    `\u00a0${HASH}`, // a Unicode space: trimmed as text
    `pdq ${HASH}`,
    `photo_md5 ${'ab'.repeat(16)}`,
    `${HASH.slice(0, 63)}g`,
    `${HASH}0`,
    HASH.slice(0, 62),
    '# a comment',
    '   # indented comment',
    '',
    '   ',
    'über 😀',
    'a b c',
  ),
);

/** The bytes of a list file: lines joined by LF or CRLF, maybe a byte-order mark and no final newline. */
const fileArb = fc
  .record({
    lines: fc.array(lineArb, { maxLength: 40 }),
    crlf: fc.boolean(),
    bom: fc.boolean(),
    finalNewline: fc.boolean(),
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
  })
  .map(({ lines, crlf, bom, finalNewline, cuts }) => {
    const text = (bom ? '\ufeff' : '') + lines.join(crlf ? '\r\n' : '\n') + (finalNewline ? '\n' : '');
    const bytes = Buffer.from(text, 'utf8');
    // Chunks cut anywhere, inside a CRLF or a multi-byte character too.
    const at = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
    const chunks: Buffer[] = [];
    let from = 0;
    for (const c of [...at, bytes.length]) {
      if (c > from) chunks.push(bytes.subarray(from, c));
      from = c;
    }
    return { text, chunks };
  });

/** What the rows must be: the file split into lines and each line parsed as text. */
function expectedRows(text: string, format: 'text' | 'hma'): Array<RawRow | { line: number; error: string }> {
  const out: Array<RawRow | { line: number; error: string }> = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = (line === 1 ? raw.replace(/^\ufeff/, '') : raw).replace(/\r$/, '').trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (format === 'text') {
      out.push({ line, hash: trimmed });
      return;
    }
    const parts = trimmed.split(/\s+/);
    if (parts.length === 1) out.push({ line, hash: parts[0] });
    else if (parts.length === 2)
      out.push({ line, signal: parts[0] === 'photo_md5' ? 'md5' : parts[0], hash: parts[1] });
    else out.push({ line, error: 'IMPORT_INVALID_LINE' });
  });
  return out;
}

const comparable = (row: RawRow | RawError) => ('error' in row ? { line: row.line, error: row.error.code } : row);

describe('text and HMA lists read as bytes', () => {
  for (const format of ['text', 'hma'] as const) {
    it(`${format}: a line that is only a 32-byte lowercase hash comes as bytes; every other line as before`, async () => {
      await fc.assert(
        fc.asyncProperty(fileArb, async ({ text, chunks }) => {
          const expected = expectedRows(text, format);
          const got: Array<RawRow | { line: number; error: string } | { hash: string; bytes: true }> = [];
          for await (const { rows, hashes } of readPlainBatches(Readable.from(chunks), format, 32)) {
            for (const row of rows) {
              if (typeof row === 'number') {
                got.push({ hash: Buffer.from(hashes.subarray(row * 32, row * 32 + 32)).toString('hex'), bytes: true });
              } else got.push(comparable(row));
            }
          }
          // A row decoded as bytes is the row the text path gives, less its line number (such
          // a line cannot be bad); it is taken for exactly the lines that are a bare lowercase
          // hash between ASCII blanks.
          const bare = (r: (typeof expected)[number]) =>
            'hash' in r && r.signal === undefined && /^[0-9a-f]{64}$/.test(r.hash ?? '')
              ? { hash: r.hash, bytes: true }
              : r;
          expect(got.map((r) => ('bytes' in r ? r : bare(r)))).toEqual(expected.map(bare));
          const eligible = text
            .split('\n')
            .filter((l, i) => !(i === 0 && l.startsWith('\ufeff')) && /^[ \t\r\v\f]*[0-9a-f]{64}[ \t\r\v\f]*$/.test(l));
          expect(got.filter((r) => 'bytes' in r).length).toBe(eligible.length);

          const plain: Array<RawRow | { line: number; error: string }> = [];
          for await (const rows of readRowBatches(Readable.from(chunks), format)) plain.push(...rows.map(comparable));
          expect(plain).toEqual(expected);
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('LineSplitter', () => {
  it('gives every line, or the length of one too long, the same however the stream is cut, holding at most one line', () => {
    const max = 12;
    const fileArb = fc.record({
      lines: fc.array(fc.oneof(fc.string({ maxLength: 14 }), fc.string({ minLength: 10, maxLength: 60 })), {
        maxLength: 12,
      }),
      finalNewline: fc.boolean(),
      cuts: fc.array(fc.nat(), { maxLength: 12 }),
    });
    fc.assert(
      fc.property(fileArb, ({ lines, finalNewline, cuts }) => {
        const bytes = Buffer.from(lines.join('\n') + (finalNewline ? '\n' : ''), 'utf8');
        const expected: Array<string | number> = [];
        const parts = bytes.length === 0 ? [] : bytes.toString('latin1').split('\n');
        if (parts[parts.length - 1] === '') parts.pop(); // the file ends with '\n': no line after it
        for (const part of parts) expected.push(part.length > max ? part.length : part);

        const got: Array<string | number> = [];
        const splitter = new LineSplitter(
          (b, from, to) => got.push(b.toString('latin1', from, to)),
          (length) => got.push(length),
          max,
        );
        const at = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
        let from = 0;
        for (const c of [...at, bytes.length]) {
          if (c > from) splitter.push(bytes.subarray(from, c));
          from = c;
          expect(splitter.pending).toBeLessThanOrEqual(max);
        }
        splitter.end();
        expect(got).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('string chunks', () => {
  it('keeps a character outside the BMP whole when a string chunk ends inside it', async () => {
    const text = `{"signal":"pdq","hash":"${HASH}","list":"L","label":"😀 über"}\n`;
    for (let k = 1; k < text.length; k++) {
      const rows: Array<RawRow | RawError> = [];
      for await (const batch of readRowBatches(Readable.from([text.slice(0, k), text.slice(k)]), 'jsonl')) {
        rows.push(...batch);
      }
      expect(rows).toMatchObject([{ line: 1, label: '😀 über' }]);
    }
    const hma = `# 😀\npdq ${HASH}\n`;
    for (let k = 1; k < hma.length; k++) {
      const rows: Array<RawRow | RawError> = [];
      for await (const batch of readRowBatches(Readable.from([hma.slice(0, k), hma.slice(k)]), 'hma')) {
        rows.push(...batch);
      }
      expect(rows).toEqual([{ line: 2, signal: 'pdq', hash: HASH }]);
    }
  });
});

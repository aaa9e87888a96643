import path from 'node:path';
import { ErrorCodes, getSignal, StaydownError, toStaydownError } from '@staydown/core';
import { DEFAULT_DECODE_LIMITS, hashImage } from '@staydown/hashing';
import { type HashIndex, type Match, type MatchResult, openIndex, type SearchOptions } from '@staydown/index';
import { readFileBounded } from '@staydown/scanner';
import { intFlag, parseCommandArgs, usage } from '../args.js';
import { type CommandIo, ExitCode } from '../io.js';

/**
 * `staydown match` — looks hashes (or image files, hashed first) up in an index.
 */

const HELP = `usage: staydown match --db DIR [--signal S] [--max-distance N] [--list NAME]... [--limit N] [--json] (HEX... | --file PATH...)

Matches hashes against the index in DIR. HEX arguments are hashes of --signal (default pdq);
each --file is hashed first (all signals) and every signal is matched.
  --max-distance N  largest distance that counts (default: each list's threshold, else the
                    signal's: pdq 31, blockhash 10; exact digests always 0)
  --list NAME       only matches in this list (repeatable); allow-lists still suppress
  --limit N         show at most N matches (and N suppressed, N allow-list hits) per query,
                    the nearest first, and how many there were in all (0: counts only); for
                    hashes near a blank image, which can match a large part of a list
  --json            one line per query: {"query","signal","matches":[{"list","label","ref",
                    "hash","distance"}],"suppressed":[...],"allowedBy":[...]}, with --limit
                    also "totals":{"matches","suppressed","allowedBy"}; a failed query has
                    "error" instead

Matches that an allow-list entry (known false positive) explains at least as well are listed
under "suppressed", not "matches".
exit codes: 0 every query ran (matched or not), 1 some query failed (bad hash, unreadable
or undecodable file), 2 usage error
`;

interface MatchQuery {
  query: string;
  kind: 'hex' | 'file';
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    db: { type: 'string' },
    signal: { type: 'string', default: 'pdq' },
    'max-distance': { type: 'string' },
    list: { type: 'string', multiple: true },
    file: { type: 'string', multiple: true },
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return ExitCode.OK;
  }
  if (!values.db) throw usage('--db DIR is required (the index directory)');
  let signal: string;
  try {
    signal = getSignal(String(values.signal)).name;
  } catch (error) {
    throw usage((error as Error).message);
  }
  const maxDistance =
    values['max-distance'] === undefined ? undefined : intFlag('max-distance', values['max-distance'], 0);
  const queries: MatchQuery[] = [
    ...positionals.map((query) => ({ query, kind: 'hex' as const })),
    ...(values.file ?? []).map((query) => ({ query, kind: 'file' as const })),
  ];
  if (queries.length === 0) throw usage('nothing to match: give HEX hashes or --file PATH');
  const lists = values.list;
  const limit = values.limit === undefined ? undefined : intFlag('limit', values.limit, 0);

  const index = await openIndex(path.resolve(io.cwd, values.db), { readOnly: true });
  let failed = false;
  try {
    for (const name of lists ?? []) {
      if (!index.lists().some((l) => l.name === name)) {
        throw new StaydownError(ErrorCodes.UNKNOWN_LIST, `no list named ${JSON.stringify(name)} in the index`, {
          details: { list: name },
        });
      }
    }
    for (const q of queries) {
      const shownSignal = q.kind === 'hex' ? signal : 'image';
      try {
        const result =
          q.kind === 'hex'
            ? index.search(signal, q.query, { maxDistance, lists, limit })
            : await matchFile(index, path.resolve(io.cwd, q.query), { maxDistance, lists, limit });
        write(io, values.json, q.query, shownSignal, result);
      } catch (error) {
        const e = toStaydownError(error);
        if (e.code === ErrorCodes.INVALID_OPTION) throw new StaydownError(ErrorCodes.USAGE, e.message);
        failed = true;
        if (values.json) {
          io.stdout.write(`${JSON.stringify({ query: q.query, signal: shownSignal, error: e.toJSON() })}\n`);
        } else io.stderr.write(`${q.query}: ${e.message} [${e.code}]\n`);
      }
    }
  } finally {
    await index.close();
  }
  return failed ? ExitCode.FAILED : ExitCode.OK;
}

/** Hashes a file with every signal and matches each one. */
async function matchFile(index: HashIndex, file: string, options: SearchOptions): Promise<MatchResult> {
  // Refused by its size before it is read, and refused if it is not a regular file (a FIFO
  // blocked for ever; /dev/zero filled memory).
  const bytes = readFileBounded(file, DEFAULT_DECODE_LIMITS.maxBytes);
  return index.matchHashes({ ...(await hashImage(bytes)) }, options);
}

const shape = (m: Match) => ({
  signal: m.signal,
  list: m.list,
  label: m.label,
  ref: m.ref,
  hash: m.hash,
  distance: m.distance,
});

function write(io: CommandIo, json: boolean, query: string, signal: string, result: MatchResult): void {
  if (json) {
    io.stdout.write(
      `${JSON.stringify({
        query,
        signal,
        matches: result.matches.map(shape),
        suppressed: result.suppressed.map(shape),
        allowedBy: result.allowedBy.map(shape),
        ...(result.totals && { totals: result.totals }),
      })}\n`,
    );
    return;
  }
  const n = result.totals?.matches ?? result.matches.length;
  const s = result.totals?.suppressed ?? result.suppressed.length;
  io.stdout.write(
    `${query}: ${n === 0 ? 'no match' : `${n} match${n === 1 ? '' : 'es'}`}${s ? `, ${s} suppressed by an allow-list` : ''}\n`,
  );
  const line = (m: Match, note = '') =>
    `  ${m.list}\t${m.signal} d=${m.distance}\t${m.label ?? '-'}\t${m.ref ?? '-'}\t${m.hash}${note}\n`;
  for (const m of result.matches) io.stdout.write(line(m));
  for (const m of result.suppressed) io.stdout.write(line(m, '\t(suppressed)'));
  for (const m of result.allowedBy) io.stdout.write(line(m, '\t(allow-list)'));
  const shown = result.matches.length + result.suppressed.length + result.allowedBy.length;
  const all = result.totals ? result.totals.matches + result.totals.suppressed + result.totals.allowedBy : shown;
  if (all > shown) io.stdout.write(`  … ${all - shown} more not shown (--limit)\n`);
}

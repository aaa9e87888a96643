import { createWriteStream } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { ErrorCodes, StaydownError } from '@staydown/core';
import {
  exportBundle,
  generateSigningKeys,
  loadPrivateKey,
  loadPublicKey,
  VerifyStore,
  verifyBundle,
} from '@staydown/verify';
import { parseCommandArgs, usage } from '../args.js';
import { type CommandIo, ExitCode } from '../io.js';
import { requireDb } from './verify.js';

const HELP = `usage:
  staydown evidence export --db DIR --order ID [-o FILE] [--key PRIVATE.pem]
      writes the order's hash-chained evidence as a self-contained JSONL bundle (stdout by
      default), signed with an Ed25519 key when --key is given
  staydown evidence verify BUNDLE [--public-key PUBLIC.pem] [--json]
      checks the chain (and signature) offline; names the first bad record.
      exit 0 valid, 1 invalid
  staydown evidence keygen --out PREFIX
      writes a new Ed25519 key pair: PREFIX.key (private, mode 600) and PREFIX.pub
`;

async function readText(io: CommandIo, file: string, what: string): Promise<string> {
  try {
    return await readFile(path.resolve(io.cwd, file), 'utf8');
  } catch (error) {
    throw new StaydownError(ErrorCodes.READ_FAILED, `cannot read ${what} ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function exportCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    db: { type: 'string' },
    order: { type: 'string' },
    output: { type: 'string', short: 'o' },
    key: { type: 'string' },
  });
  if (positionals.length > 0) throw usage(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const db = requireDb(io, values.db);
  if (!values.order) throw usage('--order ID is required');
  const privateKey = values.key ? loadPrivateKey(await readText(io, values.key, 'key'), values.key) : undefined;
  const store = VerifyStore.open(db, { mustExist: true });
  try {
    // Build the whole bundle before writing: a broken chain or unknown order writes nothing.
    const lines = [...exportBundle(store, values.order, { privateKey })];
    const text = `${lines.join('\n')}\n`;
    if (!values.output) {
      io.stdout.write(text);
      return ExitCode.OK;
    }
    const file = path.resolve(io.cwd, values.output);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      const out = createWriteStream(tmp, { flags: 'wx' });
      out.end(text);
      await finished(out);
      await rename(tmp, file);
    } catch (error) {
      await rm(tmp, { force: true });
      throw new StaydownError(ErrorCodes.WRITE_FAILED, `cannot write ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    io.stderr.write(
      `evidence of ${values.order}: ${lines.length - 1 - (privateKey ? 1 : 0)} records written to ${file}${privateKey ? ' (signed)' : ''}\n`,
    );
    return ExitCode.OK;
  } finally {
    await store.close();
  }
}

async function verifyCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    'public-key': { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw usage('expected one BUNDLE file');
  const publicKey = values['public-key']
    ? loadPublicKey(await readText(io, values['public-key'], 'public key'), values['public-key'])
    : undefined;
  const result = verifyBundle(await readText(io, positionals[0], 'bundle'), { publicKey });
  if (values.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else if (result.valid) {
    const sig = result.signature
      ? `signed by key ${result.signature.keyId}${result.signature.trusted ? ' (the given public key)' : ' (embedded key only: pass --public-key to check who signed)'}`
      : 'not signed';
    io.stdout.write(`VALID: order ${result.orderId}, ${result.records} records, head ${result.head}, ${sig}\n`);
  } else {
    io.stdout.write(`INVALID: ${result.problem}${result.line !== null ? ` (line ${result.line})` : ''}\n`);
  }
  return result.valid ? ExitCode.OK : ExitCode.FAILED;
}

async function keygenCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { out: { type: 'string' } });
  if (positionals.length > 0 || !values.out) throw usage('usage: staydown evidence keygen --out PREFIX');
  const prefix = path.resolve(io.cwd, values.out);
  const keys = generateSigningKeys();
  try {
    await writeFile(`${prefix}.key`, keys.privatePem, { flag: 'wx', mode: 0o600 });
    await writeFile(`${prefix}.pub`, keys.publicPem, { flag: 'wx' });
  } catch (error) {
    throw new StaydownError(
      ErrorCodes.WRITE_FAILED,
      `cannot write the key pair (existing keys are never overwritten): ${(error as Error).message}`,
      { cause: error },
    );
  }
  io.stdout.write(`key ${keys.keyId}\n  private: ${prefix}.key\n  public:  ${prefix}.pub\n`);
  return ExitCode.OK;
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'export':
      return exportCommand(rest, io);
    case 'verify':
      return verifyCommand(rest, io);
    case 'keygen':
      return keygenCommand(rest, io);
    case undefined:
    case '--help':
    case '-h':
      io.stdout.write(HELP);
      return sub === undefined ? ExitCode.USAGE : ExitCode.OK;
    default:
      throw usage(`unknown evidence subcommand ${JSON.stringify(sub)}\n\n${HELP}`);
  }
}

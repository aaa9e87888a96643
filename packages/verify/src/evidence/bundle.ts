import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { ErrorCodes, StaydownError } from '@staydown/core';
import type { RemovalOrder } from '../orders/schema.js';
import type { VerifyStore } from '../store/store.js';
import { canonicalHash, canonicalJson } from './canonical.js';
import { verifyChain } from './chain.js';

export const BUNDLE_FORMAT = 'staydown-evidence-bundle/1';

export interface BundleHeader {
  type: 'header';
  format: typeof BUNDLE_FORMAT;
  orderId: string;
  /** SHA-256 of the order's canonical JSON; the first record links to it. */
  orderHash: string;
  order: RemovalOrder;
  records: number;
  /** Hash of the last record (the order hash when there are none). */
  head: string;
  exportedAt: string;
  signed: boolean;
}

/** What the Ed25519 signature is over: the chain's identity, count and head. */
export interface SignedStatement {
  format: typeof BUNDLE_FORMAT;
  orderId: string;
  orderHash: string;
  records: number;
  head: string;
}

/**
 * Writes an order's evidence as a self-contained JSONL bundle: a header (the order and chain
 * info), one line per record (`{type, seq, hash, record}`), and — with a private key — a final
 * signature line over the chain head. Every line is canonical JSON.
 */
export function* exportBundle(
  store: VerifyStore,
  orderId: string,
  options: { privateKey?: KeyObject; now?: Date } = {},
): Generator<string> {
  const stored = store.requireOrder(orderId);
  const evidence = store.listEvidence(orderId);
  // The database's own chain must be intact before it is exported as evidence.
  const check = verifyChain(orderId, stored.orderHash, evidence);
  if (!check.intact) {
    throw new StaydownError(
      ErrorCodes.EVIDENCE_INVALID,
      `evidence of ${orderId} in the database is broken: ${check.problem?.message}`,
      {
        details: { orderId, index: check.problem?.index },
      },
    );
  }
  const header: BundleHeader = {
    type: 'header',
    format: BUNDLE_FORMAT,
    orderId,
    orderHash: stored.orderHash,
    order: stored.order,
    records: evidence.length,
    head: check.head,
    exportedAt: (options.now ?? new Date()).toISOString(),
    signed: options.privateKey !== undefined,
  };
  yield canonicalJson(header);
  for (const e of evidence) yield canonicalJson({ type: 'record', seq: e.seq, hash: e.hash, record: e.record });
  if (options.privateKey) {
    const statement: SignedStatement = {
      format: BUNDLE_FORMAT,
      orderId,
      orderHash: stored.orderHash,
      records: evidence.length,
      head: check.head,
    };
    const publicKey = createPublicKey(options.privateKey);
    const signature = sign(null, Buffer.from(canonicalJson(statement)), options.privateKey);
    yield canonicalJson({
      type: 'signature',
      alg: 'ed25519',
      keyId: keyId(publicKey),
      publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      statement,
      signature: signature.toString('base64'),
    });
  }
}

/** SHA-256 fingerprint of a public key's SPKI DER (hex): names the signer in reports. */
export function keyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export interface BundleVerification {
  valid: boolean;
  orderId: string | null;
  records: number;
  head: string | null;
  signature: { keyId: string; trusted: boolean } | null;
  /** Why it is invalid, naming the first bad record or line. */
  problem: string | null;
  /** 1-based line of the first problem. */
  line: number | null;
  /** 0-based index of the first bad record, when a record is to blame. */
  badRecord: number | null;
}

/**
 * Checks a bundle offline: header, each record's hash and link, count and head, and the
 * signature (against `publicKey` when given — otherwise against the embedded key, which shows
 * integrity but not who signed).
 */
export function verifyBundle(text: string, options: { publicKey?: KeyObject } = {}): BundleVerification {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const result: BundleVerification = {
    valid: false,
    orderId: null,
    records: 0,
    head: null,
    signature: null,
    problem: null,
    line: null,
    badRecord: null,
  };
  const fail = (line: number | null, problem: string, badRecord: number | null = null): BundleVerification => ({
    ...result,
    valid: false,
    line,
    problem,
    badRecord,
  });

  const parsed: Array<Record<string, unknown> | null> = lines.map((l) => {
    try {
      const v = JSON.parse(l);
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null;
    } catch {
      return null;
    }
  });
  const header = parsed[0] as unknown as BundleHeader | null;
  if (header?.type !== 'header' || header.format !== BUNDLE_FORMAT) {
    return fail(1, `line 1 is not a ${BUNDLE_FORMAT} header`);
  }
  result.orderId = header.orderId;
  let orderHash: string;
  try {
    orderHash = canonicalHash(header.order);
  } catch {
    return fail(1, 'the header does not hold a readable order');
  }
  if (orderHash !== header.orderHash || header.order?.id !== header.orderId) {
    return fail(1, 'the order in the header was altered (its hash does not match orderHash)');
  }

  const entries: Array<{ json: string; hash: string }> = [];
  let signatureLine: Record<string, unknown> | null = null;
  let signatureLineNo = 0;
  for (let i = 1; i < parsed.length; i++) {
    const line = parsed[i];
    if (!line)
      return fail(i + 1, `line ${i + 1} is not valid JSON (record ${entries.length} or the signature)`, entries.length);
    if (signatureLine) return fail(i + 1, `line ${i + 1} follows the signature line`);
    if (line.type === 'record') {
      let json: string;
      try {
        json = canonicalJson(line.record);
      } catch {
        return fail(i + 1, `line ${i + 1} holds an unreadable record`, entries.length);
      }
      entries.push({ json, hash: String(line.hash) });
    } else if (line.type === 'signature') {
      signatureLine = line;
      signatureLineNo = i + 1;
    } else {
      return fail(i + 1, `line ${i + 1} has unknown type ${JSON.stringify(line.type)}`);
    }
  }

  const chain = verifyChain(header.orderId, orderHash, entries, { records: header.records, head: header.head });
  result.records = entries.length;
  result.head = chain.intact ? chain.head : null;
  if (!chain.intact && chain.problem) {
    return fail(chain.problem.index + 2, chain.problem.message, chain.problem.index);
  }

  if (!signatureLine) {
    if (header.signed) return fail(lines.length + 1, 'the signature line is missing (the bundle was truncated)');
    if (options.publicKey) return fail(null, 'the bundle is not signed, but a public key was given');
    return { ...result, valid: true };
  }
  const statement: SignedStatement = {
    format: BUNDLE_FORMAT,
    orderId: header.orderId,
    orderHash,
    records: entries.length,
    head: chain.head,
  };
  let embedded: KeyObject;
  try {
    embedded = createPublicKey({
      key: Buffer.from(String(signatureLine.publicKey), 'base64'),
      format: 'der',
      type: 'spki',
    });
  } catch {
    return fail(signatureLineNo, 'the signature line holds no readable public key');
  }
  const key = options.publicKey ?? embedded;
  const id = keyId(key);
  if (signatureLine.alg !== 'ed25519')
    return fail(signatureLineNo, `unsupported signature algorithm ${JSON.stringify(signatureLine.alg)}`);
  let ok = false;
  try {
    ok = verify(
      null,
      Buffer.from(canonicalJson(statement)),
      key,
      Buffer.from(String(signatureLine.signature), 'base64'),
    );
  } catch {
    ok = false;
  }
  if (!ok) {
    return fail(
      signatureLineNo,
      options.publicKey && keyId(embedded) !== id
        ? `the bundle was signed by key ${keyId(embedded).slice(0, 16)}…, not by the given key ${id.slice(0, 16)}…`
        : 'the signature does not match the chain head (bad signature, or the records were altered)',
    );
  }
  return { ...result, valid: true, signature: { keyId: id, trusted: options.publicKey !== undefined } };
}

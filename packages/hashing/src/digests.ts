import { createHash } from 'node:crypto';

/** Exact digests of the file bytes as stored (no decode): what most hash lists hold. */
export type DigestName = 'md5' | 'sha1' | 'sha256';
export const DIGEST_NAMES: readonly DigestName[] = ['md5', 'sha1', 'sha256'];

export function computeDigest(bytes: Uint8Array, name: DigestName): string {
  return createHash(name).update(bytes).digest('hex');
}

export function computeDigests(
  bytes: Uint8Array,
  names: readonly DigestName[] = DIGEST_NAMES,
): Partial<Record<DigestName, string>> {
  const out: Partial<Record<DigestName, string>> = {};
  for (const name of names) out[name] = computeDigest(bytes, name);
  return out;
}

/**
 * The verdict vocabulary shared by the verifier (which decides verdicts) and the reports (which
 * show them). Which verdicts count as "removed" is the legal heart of compliance, so it is
 * defined once here.
 */
export type Verdict =
  | 'PRESENT'
  | 'NOT_FOUND'
  | 'LEGAL_BLOCK'
  | 'REPLACED'
  | 'ACCESS_DENIED'
  | 'UNREACHABLE'
  | 'INCONCLUSIVE';

/** Verdicts that mean the material is no longer accessible at the URL. INCONCLUSIVE is never one. */
export const ABSENT_VERDICTS: ReadonlySet<Verdict> = new Set<Verdict>([
  'NOT_FOUND',
  'LEGAL_BLOCK',
  'REPLACED',
  'ACCESS_DENIED',
  'UNREACHABLE',
]);

export function verdictClass(verdict: Verdict): 'present' | 'absent' | 'inconclusive' {
  if (verdict === 'PRESENT') return 'present';
  return ABSENT_VERDICTS.has(verdict) ? 'absent' : 'inconclusive';
}

export {
  type AddresseeSummary,
  type DateRange,
  DEFAULT_PERSISTENCE_RULE,
  type OrderSummary,
  type PersistenceRule,
  rankAddressees,
  summarizeAddressee,
  validateRule,
} from './addressee.js';
export { renderAddresseeHtml, renderRankingHtml } from './addressee-html.js';
export { ADDRESSEE_CSV_COLUMNS, ORDER_CSV_COLUMNS, renderAddresseeCsv, renderOrderCsv } from './csv.js';
export { renderOrderHtml } from './order-html.js';
export { DEFAULT_TIME_ZONE, formatLocal, formatUtc, type ReportOptions } from './time.js';
export {
  ABSENT_VERDICTS,
  type CheckRow,
  type EvidenceStatus,
  type ItemReport,
  type OrderReport,
  type Verdict,
  verdictClass,
} from './types.js';

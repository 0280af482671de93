/**
 * One-off upgrade step: puts the incidents that ended before the ended-incident index existed into
 * it (`functions/commons/incidents/ended-index-backfill.ts`), so that the KPI report counts them in
 * the period they ended in. Run once after deploying the version that added the index, with
 * credentials allowed to query and update the governance table:
 *
 *   GOVERNANCE_TABLE=<the governance table's name> AWS_REGION=<region> npx tsx scripts/backfill-ended-incidents.ts
 *
 * Prints what it read and marked as JSON. Safe to run again.
 */
import { backfillEndedIncidentIndex } from '../functions/commons/incidents/ended-index-backfill.ts';

const result = await backfillEndedIncidentIndex();
process.stdout.write(`${JSON.stringify(result)}\n`);

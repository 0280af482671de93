/**
 * One-off upgrade step: puts the incidents that were open before the open-incident index existed
 * into it (`functions/commons/incidents/open-index-backfill.ts`). Run once after deploying the
 * version that added the index, with credentials allowed to query and update the governance table:
 *
 *   GOVERNANCE_TABLE=<the governance table's name> AWS_REGION=<region> npx tsx scripts/backfill-open-incidents.ts
 *
 * Prints what it read and marked as JSON. Safe to run again.
 */
import { backfillOpenIncidentIndex } from '../functions/commons/incidents/open-index-backfill.ts';

const result = await backfillOpenIncidentIndex();
process.stdout.write(`${JSON.stringify(result)}\n`);

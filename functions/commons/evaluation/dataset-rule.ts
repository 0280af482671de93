import type { DatasetRule } from '#drift/fdr';
import type { ColumnDrift, DatasetDrift } from '#drift/types';
import type { ModelRecord } from '../registry/store.ts';
import { fmt } from './format.ts';

/**
 * The model's dataset drift rule: `thresholds.datasetDrift` when given, else the share rule with
 * `thresholds.driftShare` (which models registered before the rule existed carry).
 */
export function datasetRuleOf(model: ModelRecord): DatasetRule {
  return model.thresholds.datasetDrift ?? { rule: 'share', share: model.thresholds.driftShare };
}

/** The breach reason of dataset drift under the `fdr` rule, naming the rejected features. */
export function fdrReason(columns: readonly ColumnDrift[], dataset: DatasetDrift): string {
  const alpha = dataset.alpha as number;
  const rejected = columns
    .filter((c) => c.adjustedPValue != null && c.adjustedPValue <= alpha)
    .map((c) => `${c.name} (adjusted p ${fmt(c.adjustedPValue as number)})`);
  return `Data drift in ${dataset.rejectedColumns} of ${dataset.columns} features (Benjamini–Hochberg at false discovery rate ${fmt(alpha)}): ${rejected.join(', ')}`;
}

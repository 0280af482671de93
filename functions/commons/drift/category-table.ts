import { compareCodePoints } from './values.ts';

// Apart from the statistics of `categorical.ts`, so that counting categories (ingestion) and
// charting them load no p-value code.

/** The categories of both sides, in code-point order, with each side's count per category. */
export interface CategoryTable {
  categories: string[];
  reference: number[];
  current: number[];
}

/** The union of the categories seen on either side (count > 0), sorted as Python sorts `str`. */
export function categoryTable(
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
): CategoryTable {
  const all = new Set<string>();
  for (const [category, count] of reference) if (count > 0) all.add(category);
  for (const [category, count] of current) if (count > 0) all.add(category);
  const categories = [...all].sort(compareCodePoints);
  return {
    categories,
    reference: categories.map((c) => reference.get(c) ?? 0),
    current: categories.map((c) => current.get(c) ?? 0),
  };
}

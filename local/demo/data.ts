/**
 * The demo model's synthetic traffic: a churn classifier with three numerical features and one
 * categorical feature. Values come from a seeded generator, so a baseline is the same on every
 * run; the live stream gets its own seed per run.
 */

/** The demo model's features, as registered. */
export const demoFeatures = [
  // A data-quality rule: a tenure outside 0 to 120 months or missing is a broken pipeline.
  { name: 'tenure_months', type: 'numerical', quality: { min: 0, max: 120, maxMissingShare: 0 } },
  { name: 'monthly_charges', type: 'numerical' },
  { name: 'support_calls', type: 'numerical' },
  { name: 'contract', type: 'categorical', quality: { allowed: ['month-to-month', 'one-year', 'two-year'] } },
] as const;

export type DemoFeatureValues = Record<(typeof demoFeatures)[number]['name'], number | string>;

/** One synthetic prediction with the actual outcome that will later be reported for it. */
export interface DemoRecord {
  readonly features: DemoFeatureValues;
  readonly prediction: 'churn' | 'stay';
  readonly actual: 'churn' | 'stay';
}

/**
 * Which population the traffic comes from: `normal` is the baseline's; `shifted` moves two
 * features of the month-to-month customers (monthly charges up by about 1.5 standard deviations,
 * support calls roughly tripled), as after a price change that sends them to support; the model's
 * accuracy drops on them. The model's `contract` segment shows it in one segment.
 */
export type Population = 'normal' | 'shifted';

/** A seeded generator (LCG) with uniform and standard normal draws. */
export function rng(seed: number): { uniform(): number; normal(): number } {
  let s = seed >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

const CONTRACTS = ['month-to-month', 'month-to-month', 'one-year', 'two-year'];

/** How often the model is right on the customers a shift leaves alone. */
const STEADY_ACCURACY = 0.9;

/**
 * Draws `n` records from `population`; each prediction of a shifted customer is right with
 * probability `accuracy`, of any other with 0.9 (the actual is the other class otherwise).
 */
export function drawRecords(
  random: ReturnType<typeof rng>,
  n: number,
  population: Population,
  accuracy: number,
): DemoRecord[] {
  return Array.from({ length: n }, () => {
    const contract = CONTRACTS[Math.floor(random.uniform() * CONTRACTS.length)] as string;
    const shifted = population === 'shifted' && contract === 'month-to-month';
    const tenure = Math.max(0, Math.round(30 + 14 * random.normal()));
    const charges = Math.round((shifted ? 95 : 65) + 20 * random.normal()) + 0.99;
    const calls = Math.max(0, Math.round((shifted ? 4.5 : 1.5) + 1.2 * random.normal()));
    const risk = (contract === 'month-to-month' ? 0.6 : -0.8) - tenure / 40 + calls / 3;
    const prediction = risk > 0.4 ? 'churn' : 'stay';
    const other = prediction === 'churn' ? 'stay' : 'churn';
    return {
      features: {
        tenure_months: tenure,
        monthly_charges: charges,
        support_calls: calls,
        contract,
      },
      prediction,
      actual:
        random.uniform() < (shifted || population === 'normal' ? accuracy : STEADY_ACCURACY)
          ? prediction
          : other,
    };
  });
}

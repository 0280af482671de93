/**
 * A read that found more items than its bound: it is refused whole rather than done in part. A
 * request turns it into a 4xx naming the field that narrows the read; a background job lets it
 * fail the invocation, which logs it as an error and counts `ReadLimitExceeded`
 * (`powertools/middleware.ts`).
 */
export class ReadLimitError extends Error {
  constructor(
    /** What was read, in a few words ("open incidents"). */
    readonly what: string,
    /** The most items the read takes. */
    readonly bound: number,
  ) {
    super(`More than ${bound} ${what}: the read is refused rather than done in part`);
    this.name = 'ReadLimitError';
  }
}

import { Tracer } from '@aws-lambda-powertools/tracer';

/** X-Ray tracing; active in Lambda, inert elsewhere (the local runtime and tests). */
export const tracer = new Tracer();

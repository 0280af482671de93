import { Logger } from '@aws-lambda-powertools/logger';

/** The structured logger of an execution environment; service name from POWERTOOLS_SERVICE_NAME. */
export const logger = new Logger();

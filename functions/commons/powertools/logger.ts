import { Logger } from '@aws-lambda-powertools/logger';

/** The structured logger of an execution environment; service name from POWERTOOLS_SERVICE_NAME. */
export const logger = new Logger();

/**
 * The logger's middleware options for every handler. The event is never logged, whatever
 * POWERTOOLS_LOGGER_LOG_EVENT says: events carry `x-api-key` headers, link signatures, form
 * tokens, request bodies and task tokens.
 */
export const loggerOptions = { clearState: true, logEvent: false } as const;

/**
 * What the signing key loads when it first reads its secret, not at a cold start: the Secrets
 * Manager client and its one command. A chunk of its own in the bundle: most requests of the
 * functions that evaluate, open incidents or list webhooks sign nothing.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';

export function newSecretsManagerClient(): SecretsManagerClient {
  return new SecretsManagerClient({});
}

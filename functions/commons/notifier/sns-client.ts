/**
 * What the SNS notifier and subscriptions load on their first call, not at a cold start: the
 * client and the commands and errors they use. A chunk of its own in the bundle: most requests
 * of a function send no email and manage no subscription.
 */
import { SNSClient } from '@aws-sdk/client-sns';

export {
  GetSubscriptionAttributesCommand,
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  NotFoundException,
  PublishBatchCommand,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';

export function newSnsClient(): SNSClient {
  return new SNSClient({});
}

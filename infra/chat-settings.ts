import type { ConfigProblem } from '../functions/core/errors.js';

/** Chat channels for on-call: Amazon Q Developer in chat applications (formerly AWS Chatbot). */
export interface ChatSettings {
  readonly slack?: { readonly workspaceId: string; readonly channelId: string };
  /** `channelId` URL-encoded, as the channel configuration takes it (encodeTeamsChannelId). */
  readonly teams?: { readonly tenantId: string; readonly teamId: string; readonly channelId: string };
  /**
   * A channel configuration that already exists for the channel (only one per Slack channel per
   * account): the stack creates only the chat topic and outputs its ARN to add to that one's topics.
   */
  readonly existingConfigurationArn?: string;
}

export const CHAT_CONTEXT_KEYS = [
  'chatSlackWorkspaceId',
  'chatSlackChannelId',
  'chatTeamsTenantId',
  'chatTeamsTeamId',
  'chatTeamsChannelId',
  'chatExistingConfigurationArn',
] as const;

export type ChatContext = Partial<Record<(typeof CHAT_CONTEXT_KEYS)[number], string | undefined>>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The patterns of the AWS::Chatbot resources' properties. */
const CHECKS: Record<(typeof CHAT_CONTEXT_KEYS)[number], { re: RegExp; what: string }> = {
  chatSlackWorkspaceId: { re: /^[0-9A-Z]{1,255}$/, what: 'a Slack workspace id (e.g. T0123ABCD)' },
  chatSlackChannelId: { re: /^[A-Za-z0-9]{1,255}$/, what: 'a Slack channel id (e.g. C0123ABCD)' },
  chatTeamsTenantId: { re: UUID, what: 'a Microsoft Entra tenant id (a UUID)' },
  chatTeamsTeamId: { re: UUID, what: 'a Microsoft Teams team id (a UUID)' },
  chatTeamsChannelId: {
    re: /^[A-Za-z0-9:@._%=+/,-]{1,256}$/,
    what: 'a Microsoft Teams channel id (e.g. 19:abc...@thread.tacv2, or URL-encoded 19%3aabc...%40thread.tacv2)',
  },
  chatExistingConfigurationArn: {
    re: /^arn:aws[a-z-]*:chatbot::\d{12}:chat-configuration\/(slack-channel|microsoft-teams-channel)\/[A-Za-z0-9_-]{1,128}$/,
    what: 'the ARN of a chat channel configuration (arn:aws:chatbot::<account>:chat-configuration/slack-channel/<name>, or .../microsoft-teams-channel/<name>)',
  },
};

/**
 * AWS::Chatbot::MicrosoftTeamsChannelConfiguration takes TeamsChannelId URL-encoded (its
 * CloudFormation schema and the Chatbot API's TeamsChannelConfiguration ChannelId: pattern
 * `^([a-zA-Z0-9-_=+/.,])*%3[aA]([a-zA-Z0-9-_=+/.,])*%40([a-zA-Z0-9-_=+/.,])*$`, at most 256
 * characters): ':' as %3a, '@' as %40.
 */
export const TEAMS_CHANNEL_ID_PATTERN =
  /^([a-zA-Z0-9-_=+/.,])*%3[aA]([a-zA-Z0-9-_=+/.,])*%40([a-zA-Z0-9-_=+/.,])*$/;

/**
 * A Teams channel id as Teams shows it (19:abc@thread.tacv2) or already encoded
 * (19%3aabc%40thread.tacv2, either case), in the encoded form the resource takes; undefined when
 * it is neither.
 */
export function encodeTeamsChannelId(value: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  const encoded = decoded.replace(/:/g, '%3a').replace(/@/g, '%40');
  return encoded.length <= 256 && TEAMS_CHANNEL_ID_PATTERN.test(encoded) ? encoded : undefined;
}

/** The chat channels the context asks for, each complete and well-formed, or the problems by key. */
export function chatFromContext(context: ChatContext, problems: ConfigProblem[]): ChatSettings | undefined {
  const value = (key: keyof ChatContext): string | undefined => {
    const v = context[key]?.trim();
    if (v === undefined || v === '') return undefined;
    const normal = key === 'chatTeamsChannelId' ? encodeTeamsChannelId(v) : v;
    if (!CHECKS[key].re.test(v) || normal === undefined) {
      problems.push({ name: key, message: `${JSON.stringify(v)} is not ${CHECKS[key].what}` });
      return v;
    }
    return normal;
  };
  const needAll = (keys: (keyof ChatContext)[], values: (string | undefined)[]): boolean => {
    if (values.every((v) => v === undefined)) return false;
    keys.forEach((k, i) => {
      if (values[i] === undefined)
        problems.push({
          name: k,
          message: `is required with ${keys.filter((_, j) => values[j] !== undefined).join(', ')}`,
        });
    });
    return values.every((v) => v !== undefined);
  };
  const slackKeys: (keyof ChatContext)[] = ['chatSlackWorkspaceId', 'chatSlackChannelId'];
  const teamsKeys: (keyof ChatContext)[] = ['chatTeamsTenantId', 'chatTeamsTeamId', 'chatTeamsChannelId'];
  const slack = slackKeys.map(value);
  const teams = teamsKeys.map(value);
  const chat: ChatSettings = {
    ...(needAll(slackKeys, slack)
      ? { slack: { workspaceId: slack[0] ?? '', channelId: slack[1] ?? '' } }
      : {}),
    ...(needAll(teamsKeys, teams)
      ? { teams: { tenantId: teams[0] ?? '', teamId: teams[1] ?? '', channelId: teams[2] ?? '' } }
      : {}),
  };
  const existing = value('chatExistingConfigurationArn');
  if (existing !== undefined) return { ...chat, existingConfigurationArn: existing };
  return chat.slack || chat.teams ? chat : undefined;
}

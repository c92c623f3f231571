import type { ChatNotification } from '../core/chat-message.js';
import type { WireLog } from './wire-log.js';

/** One message the guard published, as its subscribers would see it. */
export interface ShownMessage {
  readonly subject: string;
  /** The text e-mail subscribers receive. */
  readonly email?: string;
  /** The chat rendering (Amazon Q Developer in chat applications' custom notification), when one was published. */
  readonly chat?: ChatNotification;
}

/**
 * The messages the guard's SNS client sent, read from its requests on the wire: the `email`
 * member of each MessageStructure=json publish, and the chat notification of a chat topic.
 */
export function publishedMessages(log: WireLog): ShownMessage[] {
  const shown: ShownMessage[] = [];
  for (const { action, params } of log.requests) {
    if (action !== 'Publish' || params.Message === undefined) continue;
    const message = JSON.parse(params.Message) as Record<string, unknown>;
    if (params.MessageStructure === 'json') {
      shown.push({ subject: params.Subject ?? '', email: String(message.email ?? message.default ?? '') });
    } else if (message.source === 'custom') {
      shown.push({ subject: params.Subject ?? '', chat: message as unknown as ChatNotification });
    }
  }
  return shown;
}

/** The messages as on-call would read them, for `drill --show-messages`. */
export function renderShownMessages(messages: readonly ShownMessage[]): string {
  if (messages.length === 0) return '  (no message)';
  return messages
    .map((m) =>
      m.email !== undefined
        ? `--- e-mail: ${m.subject}\n${m.email}`
        : m.chat
          ? [
              `--- chat (Amazon Q Developer in chat applications, thread ${m.chat.metadata.threadId}):`,
              m.chat.content.title,
              '',
              m.chat.content.description,
              '',
              'Next steps:',
              ...m.chat.content.nextSteps.map((step) => `  - ${step}`),
            ].join('\n')
          : '',
    )
    .join('\n\n');
}

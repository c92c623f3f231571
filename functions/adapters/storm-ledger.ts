import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type Act,
  type Admission,
  actEntry,
  type FoldedActs,
  type StormLedger,
  stormKey,
} from '../core/storm.js';

/** A window's record lives a week past its end: long enough for any sweep schedule to send it. */
const KEEP_SECONDS = 7 * 24 * 3600;
const ATTEMPTS = 6;

type Item = Record<string, AttributeValue>;

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });
const ss = (values: readonly string[]): AttributeValue => ({ SS: [...values] });
const num = (item: Item, name: string): number => Number(item[name]?.N ?? Number.NaN);
const set = (item: Item, name: string): string[] => item[name]?.SS ?? [];

function folded(item: Item, entries: readonly string[]): FoldedActs {
  return {
    key: item.id?.S ?? '',
    account: item.account?.S ?? '',
    roleName: item.roleName?.S ?? '',
    actorArn: item.actorArn?.S ?? '',
    ...(item.opener?.S ? { opener: item.opener.S } : {}),
    entries,
  };
}

/**
 * The storm ledger in the idempotency table, one item per actor and role (`storm#...` keys,
 * next to Powertools' records, which are keyed by function name and hash): the open window's
 * end and opening event, the acts folded into it (`acts`, a string set of `time|event|id`, so a
 * repeated delivery adds nothing), and the acts of closed windows waiting to be sent
 * (`pending`). Every step is one conditional write, so concurrent invocations never lose an
 * act: an act is added only while the window is open; a window is replaced only if no act or
 * revision came in since it was read; a follow-up removes exactly the entries it sent.
 */
export class DynamoDbStormLedger implements StormLedger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async admit(act: Act, now: Date, windowSeconds: number): Promise<Admission> {
    const id = stormKey(act.account, act.roleName, act.actorArn);
    const entry = actEntry(act);
    const at = now.getTime();
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const count = await this.#fold(id, entry, at, act.eventId);
      if (count !== undefined) return { kind: 'folded', count };
      const { Item: item } = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: { id: s(id) }, ConsistentRead: true }),
      );
      if (item && num(item, 'windowEnd') > at) {
        // A retried delivery of the act that opened the window is the first act again.
        if (item.opener?.S === act.eventId) {
          const pending = set(item, 'pending');
          return { kind: 'first', followUps: pending.length > 0 ? [folded(item, pending)] : [] };
        }
        continue; // another invocation opened it meanwhile: fold into it
      }
      const pending = [
        ...new Set([...(item ? set(item, 'pending') : []), ...(item ? set(item, 'acts') : [])]),
      ];
      const windowEnd = at + windowSeconds * 1000;
      const next: Item = {
        id: s(id),
        account: s(act.account),
        roleName: s(act.roleName),
        actorArn: s(act.actorArn),
        opener: s(act.eventId),
        windowEnd: n(windowEnd),
        rev: n(item ? num(item, 'rev') + 1 : 1),
        expiration: n(Math.ceil(windowEnd / 1000) + KEEP_SECONDS),
        ...(pending.length > 0 ? { pending: ss(pending) } : {}),
      };
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: next,
            ...(item
              ? {
                  ConditionExpression: 'rev = :rev AND (attribute_not_exists(acts) OR size(acts) = :acts)',
                  ExpressionAttributeValues: {
                    ':rev': n(num(item, 'rev')),
                    ':acts': n(set(item, 'acts').length),
                  },
                }
              : { ConditionExpression: 'attribute_not_exists(id)' }),
          }),
        );
        return { kind: 'first', followUps: pending.length > 0 ? [folded(item ?? next, pending)] : [] };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new Error(
      `the storm ledger could not record ${act.eventId} after ${ATTEMPTS} attempts (contention)`,
    );
  }

  /** Adds the act to the open window; the number of acts folded, or undefined when no window is open. */
  async #fold(id: string, entry: string, at: number, eventId: string): Promise<number | undefined> {
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { id: s(id) },
          UpdateExpression: 'ADD acts :entry',
          ConditionExpression: 'windowEnd > :now AND opener <> :id',
          ExpressionAttributeValues: { ':entry': ss([entry]), ':now': n(at), ':id': s(eventId) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return set(out.Attributes ?? {}, 'acts').length;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async due(now: Date): Promise<FoldedActs[]> {
    const at = now.getTime();
    const out: FoldedActs[] = [];
    let start: Item | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression:
            'begins_with(id, :prefix) AND (attribute_exists(pending) OR (windowEnd <= :now AND attribute_exists(acts)))',
          ExpressionAttributeValues: { ':prefix': s('storm#'), ':now': n(at) },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const closed = num(item, 'windowEnd') <= at ? set(item, 'acts') : [];
        if (closed.length > 0 && !(await this.#close(item, closed))) continue; // changed: next sweep
        const entries = [...new Set([...set(item, 'pending'), ...closed])];
        if (entries.length > 0) out.push(folded(item, entries));
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** Moves a closed window's acts to `pending`; false when the item changed since it was read. */
  async #close(item: Item, acts: readonly string[]): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { id: item.id ?? s('') },
          UpdateExpression: 'ADD pending :acts, rev :one DELETE acts :acts',
          ConditionExpression: 'rev = :rev',
          ExpressionAttributeValues: { ':acts': ss(acts), ':one': n(1), ':rev': n(num(item, 'rev')) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async settle(done: FoldedActs): Promise<void> {
    if (done.entries.length === 0) return;
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { id: s(done.key) },
        UpdateExpression: 'DELETE pending :sent',
        ExpressionAttributeValues: { ':sent': ss(done.entries) },
      }),
    );
  }
}

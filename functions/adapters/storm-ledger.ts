import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type Act,
  type Admission,
  actEntry,
  type FoldedActs,
  KEPT_ACTS,
  type StormLedger,
  stormKey,
} from '../core/storm.js';

/** A window's record lives a week past its end: long enough for any sweep schedule to send it. */
const KEEP_SECONDS = 7 * 24 * 3600;
const ATTEMPTS = 20;
/** Per-act markers (`stormact#<event id>`): one conditional put each, in the fold's transaction. */
const MARKER = 'stormact#';
/** Count per event name: `n:<name>` (open window) and `pn:<name>` (pending), top-level so ADD works. */
const NAME = 'n:';
const PENDING_NAME = 'pn:';

type Item = Record<string, AttributeValue>;

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });
const ss = (values: readonly string[]): AttributeValue => ({ SS: [...values] });
const num = (item: Item | undefined, name: string): number => Number(item?.[name]?.N ?? 0);
const set = (item: Item | undefined, name: string): string[] => item?.[name]?.SS ?? [];
const str = (item: Item | undefined, name: string): string | undefined => item?.[name]?.S;

/** A bounded summary of folded acts. */
interface Summary {
  readonly count: number;
  readonly first: string;
  readonly last: string;
  readonly names: Readonly<Record<string, number>>;
  readonly kept: readonly string[];
}

const EMPTY: Summary = { count: 0, first: '', last: '', names: {}, kept: [] };

function summaryOf(item: Item | undefined, prefix: '' | 'p'): Summary {
  const count = num(item, prefix ? 'pCount' : 'count');
  if (!item || count <= 0) return EMPTY;
  const namePrefix = prefix ? PENDING_NAME : NAME;
  const names: Record<string, number> = {};
  for (const [attribute, value] of Object.entries(item))
    if (attribute.startsWith(namePrefix) && Number(value.N) > 0)
      names[attribute.slice(namePrefix.length)] = Number(value.N);
  return {
    count,
    first: str(item, prefix ? 'pFirst' : 'first') ?? '',
    last: str(item, prefix ? 'pLast' : 'last') ?? '',
    names,
    kept: set(item, prefix ? 'pIds' : 'ids'),
  };
}

function merge(a: Summary, b: Summary): Summary {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const names: Record<string, number> = { ...a.names };
  for (const [name, k] of Object.entries(b.names)) names[name] = (names[name] ?? 0) + k;
  return {
    count: a.count + b.count,
    first: [a.first, b.first].sort()[0] ?? a.first,
    last: [a.last, b.last].sort()[1] ?? a.last,
    names,
    kept: [...new Set([...a.kept, ...b.kept])].sort().slice(0, KEPT_ACTS),
  };
}

function folded(item: Item, pending: Summary): FoldedActs {
  return {
    key: str(item, 'id') ?? '',
    account: str(item, 'account') ?? '',
    roleName: str(item, 'roleName') ?? '',
    actorArn: str(item, 'actorArn') ?? '',
    ...(str(item, 'pOpener') ? { opener: str(item, 'pOpener') } : {}),
    count: pending.count,
    firstTime: pending.first,
    lastTime: pending.last,
    eventNames: pending.names,
    entries: pending.kept,
  };
}

const followUps = (item: Item, pending: Summary): FoldedActs[] =>
  pending.count > 0 ? [folded(item, pending)] : [];

/**
 * The storm ledger in the idempotency table. One item per actor and role (`storm#...` keys, next
 * to Powertools' records, which are keyed by function name and hash), bounded whatever the
 * burst: the open window's end and opening event, and a summary of the acts folded into it (the
 * exact `count`, `first` and `last` time, a count per event name, at most KEPT_ACTS acts in
 * `ids`), and the same summary (`pCount`, `pFirst`, `pLast`, `pn:<name>`, `pIds`) for closed
 * windows whose follow-up is not sent yet. Each folded act also gets a small marker item
 * (`stormact#<event id>`), written in the same transaction as the count, so a repeated delivery
 * is counted once. Concurrent invocations never lose an act: an act is counted only while the
 * window it read is open; a window is replaced only if no act or revision came in since it was
 * read; a follow-up subtracts exactly what it sent.
 */
export class DynamoDbStormLedger implements StormLedger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async admit(act: Act, now: Date, windowSeconds: number): Promise<Admission> {
    const id = stormKey(act.account, act.roleName, act.actorArn);
    const at = now.getTime();
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const { Item: item } = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: { id: s(id) }, ConsistentRead: true }),
      );
      if (item && num(item, 'windowEnd') > at) {
        // A retried delivery of the act that opened the window is the first act again.
        if (str(item, 'opener') === act.eventId)
          return { kind: 'first', followUps: followUps(item, summaryOf(item, 'p')) };
        const outcome = await this.#fold(id, item, act, at);
        if (outcome === 'changed') continue; // re-read and decide again
        return { kind: 'folded', count: num(item, 'count') + (outcome === 'counted' ? 1 : 0) };
      }
      // No window open: this act opens one; the closed window's acts become pending.
      const pending = merge(summaryOf(item, 'p'), summaryOf(item, ''));
      const windowEnd = at + windowSeconds * 1000;
      const next: Item = {
        id: s(id),
        account: s(act.account),
        roleName: s(act.roleName),
        actorArn: s(act.actorArn),
        opener: s(act.eventId),
        windowEnd: n(windowEnd),
        count: n(0),
        rev: n(num(item, 'rev') + 1),
        expiration: n(Math.ceil(windowEnd / 1000) + KEEP_SECONDS),
        ...pendingAttributes(pending, pendingOpener(item)),
      };
      if (await this.#replace(item, next)) return { kind: 'first', followUps: followUps(next, pending) };
    }
    throw new Error(
      `the storm ledger could not record ${act.eventId} after ${ATTEMPTS} attempts (contention)`,
    );
  }

  async openWindow(
    account: string,
    roleName: string,
    actorArn: string,
    now: Date,
    call: { readonly signal?: AbortSignal } = {},
  ): Promise<string | undefined> {
    const { Item: item } = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { id: s(stormKey(account, roleName, actorArn)) },
        ConsistentRead: true,
        ProjectionExpression: 'opener, windowEnd',
      }),
      call.signal ? { abortSignal: call.signal } : {},
    );
    return num(item, 'windowEnd') > now.getTime() ? str(item, 'opener') : undefined;
  }

  /**
   * Counts the act in the window read, with its marker, in one transaction: `duplicate` when the
   * marker exists (a repeated delivery), `changed` when the window is no longer as read.
   */
  async #fold(id: string, item: Item, act: Act, at: number): Promise<'counted' | 'duplicate' | 'changed'> {
    const window = summaryOf(item, '');
    const keep = set(item, 'ids').length < KEPT_ACTS;
    const earlier = window.count === 0 || act.time < window.first;
    const later = window.count === 0 || act.time > window.last;
    const sets = [...(earlier ? ['#first = :t'] : []), ...(later ? ['#last = :t'] : [])];
    const conditions = [
      'opener = :opener AND windowEnd > :now',
      ...(keep ? ['(attribute_not_exists(ids) OR size(ids) < :kept)'] : []),
      ...(earlier ? ['(attribute_not_exists(#first) OR #first > :t)'] : []),
      ...(later ? ['(attribute_not_exists(#last) OR #last < :t)'] : []),
    ];
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  id: s(`${MARKER}${act.eventId}`),
                  window: s(id),
                  expiration: n(Math.ceil(num(item, 'windowEnd') / 1000) + KEEP_SECONDS),
                },
                ConditionExpression: 'attribute_not_exists(id)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: { id: s(id) },
                UpdateExpression:
                  `ADD #count :one, #name :one${keep ? ', ids :entry' : ''}` +
                  (sets.length > 0 ? ` SET ${sets.join(', ')}` : ''),
                ConditionExpression: conditions.join(' AND '),
                ExpressionAttributeNames: {
                  '#count': 'count',
                  '#name': `${NAME}${act.eventName}`,
                  ...(earlier ? { '#first': 'first' } : {}),
                  ...(later ? { '#last': 'last' } : {}),
                },
                ExpressionAttributeValues: {
                  ':one': n(1),
                  ':opener': item.opener ?? s(''),
                  ':now': n(at),
                  ...(keep ? { ':entry': ss([actEntry(act)]), ':kept': n(KEPT_ACTS) } : {}),
                  ...(earlier || later ? { ':t': s(act.time) } : {}),
                },
              },
            },
          ],
        }),
      );
      return 'counted';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [marker, window] = error.CancellationReasons ?? [];
      if (marker?.Code === 'ConditionalCheckFailed') return 'duplicate';
      if (window?.Code === 'ConditionalCheckFailed') return 'changed';
      throw error; // a conflict with another transaction or throttling: the SDK retried already
    }
  }

  /** Writes the item in place of the one read; false when an act or revision came in since. */
  async #replace(item: Item | undefined, next: Item): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: next,
          ...(item
            ? {
                ConditionExpression: 'rev = :rev AND (attribute_not_exists(#count) OR #count = :count)',
                ExpressionAttributeNames: { '#count': 'count' },
                ExpressionAttributeValues: { ':rev': n(num(item, 'rev')), ':count': n(num(item, 'count')) },
              }
            : { ConditionExpression: 'attribute_not_exists(id)' }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
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
            'begins_with(id, :prefix) AND (pCount > :zero OR (windowEnd <= :now AND #count > :zero))',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':prefix': s('storm#'), ':now': n(at), ':zero': n(0) },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        let pending = summaryOf(item, 'p');
        if (num(item, 'windowEnd') <= at && num(item, 'count') > 0) {
          // Close the window nobody reopened: its acts become pending (unless it changed: next sweep).
          pending = merge(pending, summaryOf(item, ''));
          const next: Item = { ...withoutSummaries(item), count: n(0), rev: n(num(item, 'rev') + 1) };
          Object.assign(next, pendingAttributes(pending, pendingOpener(item)));
          if (!(await this.#replace(item, next))) continue;
          out.push(...followUps(next, pending));
        } else out.push(...followUps(item, pending));
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /**
   * Subtracts exactly what the follow-up sent from the pending acts (acts of windows closed since
   * stay), and bumps `rev`. Only while its acts are still pending: settling twice subtracts once.
   */
  async settle(done: FoldedActs): Promise<void> {
    const [witness] = done.entries;
    if (done.count === 0 || witness === undefined) return;
    const names = Object.entries(done.eventNames);
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { id: s(done.key) },
          UpdateExpression: `ADD pCount :minus, rev :one${names.map((_, i) => `, #n${i} :m${i}`).join('')} DELETE pIds :sent`,
          ConditionExpression: 'contains(pIds, :witness)',
          ExpressionAttributeNames: Object.fromEntries(
            names.map(([name], i) => [`#n${i}`, `${PENDING_NAME}${name}`]),
          ),
          ExpressionAttributeValues: {
            ':minus': n(-done.count),
            ':one': n(1),
            ':sent': ss(done.entries),
            ':witness': s(witness),
            ...Object.fromEntries(names.map(([, k], i) => [`:m${i}`, n(-k)])),
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error; // settled already
    }
  }
}

/** The window that opened the pending acts (the chat thread of their incident). */
const pendingOpener = (item: Item | undefined): string | undefined =>
  num(item, 'pCount') > 0 ? str(item, 'pOpener') : num(item, 'count') > 0 ? str(item, 'opener') : undefined;

function pendingAttributes(pending: Summary, opener: string | undefined): Item {
  if (pending.count === 0) return {};
  return {
    pCount: n(pending.count),
    pFirst: s(pending.first),
    pLast: s(pending.last),
    ...(pending.kept.length > 0 ? { pIds: ss(pending.kept) } : {}),
    ...(opener ? { pOpener: s(opener) } : {}),
    ...Object.fromEntries(Object.entries(pending.names).map(([name, k]) => [`${PENDING_NAME}${name}`, n(k)])),
  };
}

/** The item's header (who, which window, revision), without the open window's or pending acts. */
function withoutSummaries(item: Item): Item {
  const keep = ['id', 'account', 'roleName', 'actorArn', 'opener', 'windowEnd', 'rev', 'expiration'];
  return Object.fromEntries(Object.entries(item).filter(([name]) => keep.includes(name)));
}

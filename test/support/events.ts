import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'events');

export type EventFixture = {
  id: string;
  account: string;
  time: string;
  region: string;
  'detail-type': string;
  source: string;
  detail: Record<string, unknown> & {
    eventID?: string;
    eventName?: string;
    requestParameters?: Record<string, unknown>;
    userIdentity?: Record<string, unknown>;
  };
};

export const FIXTURE_NAMES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length));

/**
 * A CloudTrail-shaped EventBridge event from test/fixtures/events (recorded in the documented
 * format), pointed at the given role and given a fresh event id so each test's event is distinct.
 * Its times are the recording's (days old) unless `time` is given: the guard treats an old event as
 * a late delivery (no writes ahead of the read, no re-read of a first read without drift).
 */
export function fixture(
  name: string,
  options: {
    roleName?: string;
    requestParameters?: Record<string, unknown>;
    eventId?: string;
    /** The act's time (CloudTrail's whole seconds) instead of the recorded one: a first delivery. */
    time?: Date;
  } = {},
): EventFixture {
  const event = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as EventFixture;
  if (options.time) {
    const at = options.time.toISOString().replace(/\.\d+Z$/, 'Z');
    event.time = at;
    if (event.detail.eventTime !== undefined) event.detail.eventTime = at;
  }
  const params = event.detail.requestParameters;
  if (params && options.roleName && params.roleName === 'AWSSupportRole') params.roleName = options.roleName;
  if (params && options.requestParameters) Object.assign(params, options.requestParameters);
  if (options.eventId && event.detail.eventID) event.detail.eventID = options.eventId;
  return event;
}

/**
 * Bundled in place of @aws-sdk/client-eventbridge when the stack is synthesized without an event
 * bus (the default): the guard builds an EventBridge client only when EVENT_BUS_NAME is set, so
 * the client (about 15 KiB of the bundle) would be parsed at every cold start for nothing. Setting
 * EVENT_BUS_NAME on a function bundled without it fails at cold start with this reason instead of
 * silently sending nothing to the bus.
 */
const OFF =
  'The event bus was not configured when this function was bundled; redeploy with -c eventBusName=...';

export class EventBridgeClient {
  constructor() {
    throw new Error(OFF);
  }
}

export class PutEventsCommand {
  constructor() {
    throw new Error(OFF);
  }
}

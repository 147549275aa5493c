import type { ServerResponse } from 'node:http';
import type { RegistrationTable } from './registration-table';
import type { NomadEventBatch, NomadServiceEvent } from './wire';

/** One `?topic=` value: `Service`, `Service:<key>` (ID, job or service name) or `*`. */
export interface TopicFilter {
  readonly topic: string;
  readonly key: string;
}

export interface EventStreamRequest {
  readonly topics: readonly TopicFilter[];
  /** `*` for every namespace the token can read. */
  readonly namespace: string;
  /** Resume at the closest buffered batch at or after this index; 0 for new events only. */
  readonly index: number;
  readonly canRead: (namespace: string) => boolean;
}

export interface EventStreamSettings {
  readonly heartbeatMs: number;
  /** False: the stream carries heartbeats only, as one that silently lost its events. */
  readonly deliver: () => boolean;
}

/** Parses `?topic=` values; none means every topic. */
export function parseTopics(values: readonly string[]): TopicFilter[] {
  if (values.length === 0) return [{ topic: '*', key: '*' }];
  return values.map((value) => {
    const colon = value.indexOf(':');
    return colon < 0
      ? { topic: value, key: '*' }
      : { topic: value.slice(0, colon), key: value.slice(colon + 1) || '*' };
  });
}

/**
 * `GET /v1/event/stream`: chunked NDJSON. The first line is `{}`, then one line per write
 * (`{"Index":N,"Events":[…]}`, only the events the filters and the token allow), with `{}`
 * heartbeats in between. Resuming from an index older than the buffer silently starts at the
 * oldest buffered batch: a gap the client cannot see. The stream ends when the client goes away
 * (timer and subscription released) or when the server drops the connection.
 */
export function serveEventStream(
  table: RegistrationTable,
  request: EventStreamRequest,
  settings: EventStreamSettings,
  res: ServerResponse,
): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.write('{}\n');
  const send = (batch: NomadEventBatch): void => {
    const events = batch.Events.filter((event) => wanted(event, request));
    if (events.length > 0) res.write(`${JSON.stringify({ Index: batch.Index, Events: events })}\n`);
  };
  if (request.index > 0) for (const batch of table.eventsFrom(request.index)) send(batch);
  const unsubscribe = table.onEvents((batch) => {
    if (settings.deliver()) send(batch);
  });
  const heartbeat = setInterval(() => res.write('{}\n'), settings.heartbeatMs);
  res.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
}

function wanted(event: NomadServiceEvent, request: EventStreamRequest): boolean {
  if (!request.canRead(event.Namespace)) return false;
  if (request.namespace !== '*' && request.namespace !== event.Namespace) return false;
  return request.topics.some(
    ({ topic, key }) =>
      (topic === '*' || topic === event.Topic) &&
      (key === '*' || key === event.Key || event.FilterKeys.includes(key)),
  );
}

import { isIP } from 'node:net';
import { clientText } from '@sextant/core';
import type { FastifyInstance } from 'fastify';
import { sendLine } from '../respond';

/**
 * DNS rebinding: a page on any site can point its own host name at 127.0.0.1 and have the
 * browser of an operator who visits it read a listener on that machine's loopback, /debug views
 * and all. The browser still sends the page's host name in `Host`. So a listener on loopback
 * answers only requests whose `Host` names this machine (localhost, a loopback address, any
 * port) or a name configured in `allowed` (sextant.yaml `admin.allowedHosts`); others get 403.
 * A request without `Host` (HTTP/1.0) comes from no browser and is answered.
 */
export function allowOnlyLocalHosts(app: FastifyInstance, allowed: readonly string[] = []): void {
  const configured = new Set(allowed.map(normalHostName));
  app.addHook('onRequest', (request, reply, done) => {
    const header = request.headers.host;
    if (header === undefined) return done();
    const name = hostNameOf(header);
    if (name !== undefined && (isLoopbackHost(name) || configured.has(name))) return done();
    sendLine(
      reply,
      403,
      `Host "${clientText(header, 100)}" is not this machine; add the name to admin.allowedHosts in sextant.yaml to use it`,
    );
  });
}

/** Whether a host name or address names this machine: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const name = normalHostName(host);
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || /^::ffff:127\./.test(name);
  return false;
}

/** The host name of a `Host` header (`name`, `name:port`, `[v6]`, `[v6]:port`), or undefined if it is none. */
function hostNameOf(header: string): string | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*))(?::\d*)?$/.exec(header.trim());
  const name = match?.[1] ?? match?.[2];
  return name === undefined || name === '' ? undefined : normalHostName(name);
}

/** Host names compare without case and without a final dot (`LocalHost.` is `localhost`). */
function normalHostName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

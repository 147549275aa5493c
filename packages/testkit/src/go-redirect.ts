import { STATUS_CODES, type ServerResponse } from 'node:http';

/**
 * Answers with a redirect as Go's `http.Redirect` writes one: the status, `Location`, and a short
 * HTML body naming the target. Consul, Nomad and the Kubernetes API server are Go programs, and so
 * are most proxies put in front of them; the fakes answer this way when a test asks for a redirect.
 */
export function sendGoRedirect(response: ServerResponse, status: number, location: URL): void {
  if (response.destroyed || response.headersSent) return;
  const text = STATUS_CODES[status] ?? 'Redirect';
  response.writeHead(status, { Location: location.href, 'Content-Type': 'text/html; charset=utf-8' });
  response.end(`<a href="${location.href}">${text}</a>.\n\n`);
}

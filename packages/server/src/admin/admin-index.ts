import type { FastifyInstance, FastifyRequest } from 'fastify';

/** What each admin endpoint is for; a route registered without an entry is listed without one. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  '/': 'this index',
  '/healthz': 'the process is alive',
  '/readyz': 'every adapter has completed a first sync (503 until then)',
  '/metrics': 'Prometheus metrics',
  '/debug/version': 'version, git commit, Node.js version, start time',
  '/debug/registry': 'services, instances and adapter status (?hostname=)',
  '/debug/rules': 'traffic rules with their state and problems',
  '/debug/proxies': 'every client: xDS streams (open and recently closed) and REST pollers (?node=)',
  '/debug/config/:proxyId': 'everything one proxy receives (v1 and v3)',
};

interface Endpoint {
  readonly method: string;
  readonly path: string;
  readonly description: string;
}

/**
 * `GET /`: the admin endpoints, in JSON for a client that asks for it (Accept: application/json),
 * as text otherwise (curl). Built from the routes as they are registered, so endpoints added
 * to the listener later (the rules API) are listed too.
 */
export function registerAdminIndex(app: FastifyInstance): void {
  const endpoints: Endpoint[] = [];
  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter(
      (method) => method !== 'HEAD',
    );
    if (methods.length === 0 || route.url.includes('*')) return;
    endpoints.push({
      method: methods.join(','),
      path: route.url,
      description: DESCRIPTIONS[route.url] ?? '',
    });
  });
  app.get('/', async (request, reply) => {
    const listed = [...endpoints].sort(
      (a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method),
    );
    if (wantsJson(request)) return reply.send({ endpoints: listed });
    const width = Math.max(...listed.map((e) => `${e.method} ${e.path}`.length));
    const lines = listed.map((e) => `${`${e.method} ${e.path}`.padEnd(width)}  ${e.description}`.trimEnd());
    return reply.type('text/plain; charset=utf-8').send(`${lines.join('\n')}\n`);
  });
}

function wantsJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('application/json');
}

import type { FastifyInstance } from 'fastify';
import { effectiveConfig } from '../config/effective-config';
import type { Reloader } from './reloader';

/**
 * Admin routes of configuration reload: `POST /admin/reload` (as SIGHUP: 200 with what changed,
 * 400 with the located errors when the new config is refused) and `/debug/effective-config`
 * (the configuration in force, credentials redacted, and how the last reload went).
 */
export function registerReloadRoutes(app: FastifyInstance, reloader: () => Reloader): void {
  app.post('/admin/reload', async (_request, reply) => {
    const outcome = await reloader().reload('POST /admin/reload');
    return reply.code(outcome.result === 'success' ? 200 : 400).send(outcome);
  });

  app.get('/debug/effective-config', async (_request, reply) => {
    const running = reloader();
    const current = running.current();
    return reply.send({
      file: current.file,
      config: effectiveConfig(current),
      lastReload: running.last() ?? null,
    });
  });
}

import { isIP } from 'node:net';
import Ajv from 'ajv';
import { clustersProblems, listenersProblems, routeConfigProblems } from './code-checks';
import { cdsSchema, ldsSchema, rdsSchema, sdsSchema } from './schemas';

export type EnvoyV1Api = 'sds' | 'cds' | 'rds' | 'lds';

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('ip', (value: string) => isIP(value) !== 0);
const validators = {
  sds: ajv.compile(sdsSchema),
  cds: ajv.compile(cdsSchema),
  rds: ajv.compile(rdsSchema),
  lds: ajv.compile(ldsSchema),
};

/**
 * Everything Envoy v1 would refuse in a discovery response body: schema violations (with the
 * JSON path) and the checks Envoy made in code. An empty list means Envoy accepts it.
 */
export function envoyV1Problems(api: EnvoyV1Api, body: unknown): string[] {
  const validate = validators[api];
  if (!validate(body)) {
    return (validate.errors ?? []).map(
      (e) => `${api}${e.instancePath}: ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
    );
  }
  switch (api) {
    case 'cds':
      return clustersProblems(body as unknown as Parameters<typeof clustersProblems>[0]);
    case 'rds':
      return routeConfigProblems(body as unknown as Parameters<typeof routeConfigProblems>[0]);
    case 'lds':
      return listenersProblems(body as unknown as Parameters<typeof listenersProblems>[0]);
    default:
      return [];
  }
}

import {
  DEFAULT_RULE_NAMESPACE,
  formatProblem,
  formatRuleIdentity,
  RENDER_TARGETS,
  readRuleDocuments,
  RuleStoreConflict,
  RuleStoreUnavailable,
  type RenderTarget,
  type RuleIdentity,
  type RuleInput,
  type RuleProblem,
  type RuleStatus,
  type RuleStore,
} from '@sextant/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, NOT_SYNCED_MESSAGE } from '../http-errors';
import type { MeshState } from '../mesh-state';
import { respondWithError, sendLine } from '../respond';

/** How long a write waits for the store's watch to bring it into this replica's rules. */
const ARRIVAL_WAIT_MS = 3000;

/** A rule resource sent to the Rules API is at most this big (a rules file may hold many). */
export const RULE_BODY_LIMIT = 1024 * 1024;

export interface RulesApiOptions {
  readonly mesh: MeshState;
  /** Where writes go; without one, the API reads and validates only. */
  readonly store?: RuleStore;
}

type IdentityParams = { kind: string; namespace: string; name: string };

/**
 * Pilot's Rules API on the admin listener: list and read the rules every source reports, validate
 * (a dry run), and write through to the configured store. A write is checked as the daemon would
 * check it (fields, values, and against the rules in force and the mesh); then stored, and it
 * reaches the mesh through the store's watch, as the same write reaches every replica sharing the
 * store. Versions are content digests, the same in every replica: `If-Match` makes a write
 * conditional on the version the writer read (412 when another write came first).
 */
export function registerRulesApi(app: FastifyInstance, options: RulesApiOptions): void {
  const api = new RulesApi(options);
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'string', bodyLimit: RULE_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    scope.get('/v1/rules', async (request, reply) =>
      reply.send(api.list(request.query as Record<string, unknown>)),
    );
    scope.post('/v1/rules::validate', (request, reply) =>
      answer(request, reply, () => api.validate(request)),
    );
    scope.get('/v1/rules/:kind/:namespace/:name', (request, reply) =>
      answer(request, reply, () => api.get(request, reply)),
    );
    scope.put('/v1/rules/:kind/:namespace/:name', (request, reply) =>
      answer(request, reply, () => api.put(request, reply)),
    );
    scope.delete('/v1/rules/:kind/:namespace/:name', (request, reply) =>
      answer(request, reply, () => api.delete(request, reply)),
    );
  });
}

async function answer(
  request: FastifyRequest,
  reply: FastifyReply,
  handle: () => Promise<unknown>,
): Promise<FastifyReply> {
  try {
    const body = await handle();
    if (!reply.sent) await reply.send(body);
  } catch (error) {
    if (error instanceof ProblemsError) return reply.code(400).send(error.view);
    if (error instanceof RuleStoreUnavailable) return sendLine(reply, 503, error.message);
    if (error instanceof RuleStoreConflict) return sendLine(reply, 412, error.message);
    respondWithError(reply, error, request);
  }
  return reply;
}

/** A write refused for its problems: 400 with every one of them. */
class ProblemsError extends Error {
  constructor(readonly view: object) {
    super('the resource has problems');
  }
}

class RulesApi {
  /** Writes one at a time, so a conditional write compares with what the last write left. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RulesApiOptions) {}

  list(query: Record<string, unknown>) {
    const kind = typeof query.kind === 'string' ? query.kind : undefined;
    const namespace = typeof query.namespace === 'string' ? query.namespace : undefined;
    const rules = this.options.mesh
      .ruleStatuses()
      .rules.filter(
        (s) =>
          (kind === undefined || s.identity.kind === kind) &&
          (namespace === undefined || s.identity.namespace === namespace),
      )
      .map((s) => ({
        ...s.identity,
        apiVersion: s.resource.apiVersion,
        version: s.version,
        source: s.source,
        state: s.state,
        errors: s.problems.filter((p) => p.severity === 'error').length,
        warnings: s.problems.filter((p) => p.severity === 'warning').length,
      }))
      .sort((a, b) =>
        compare(
          `${a.kind}/${a.namespace}/${a.name} ${a.source}`,
          `${b.kind}/${b.namespace}/${b.name} ${b.source}`,
        ),
      );
    return { rules, ...(this.options.store && { store: this.options.store.description }) };
  }

  /** The resource as its winning source holds it (the first source that has it, as in force). */
  async get(request: FastifyRequest, reply: FastifyReply) {
    const identity = identityOf(request.params as IdentityParams);
    const status = this.statusOf(identity);
    if (!status) throw new HttpError(404, `no rule ${formatRuleIdentity(identity)}`);
    reply.header('etag', quote(status.version));
    reply.header('x-sextant-rule-source', status.source);
    reply.header('x-sextant-rule-state', status.state);
    const { apiVersion, kind, metadata, spec } = status.resource;
    return { apiVersion, kind, metadata: { ...metadata, namespace: identity.namespace }, spec };
  }

  /** The problems a set of resources would have in force, as `sextant validate` reports them. */
  async validate(request: FastifyRequest) {
    this.requireSynced();
    const { inputs, problems } = readRuleDocuments(bodyText(request), 'rules-api:validate');
    const all = [...problems, ...this.options.mesh.checkRules(inputs)];
    const failing = all.filter((p) => fails(p, requiredTargets(request)));
    return { valid: failing.length === 0, resources: inputs.length, ...problemsView(all) };
  }

  async put(request: FastifyRequest, reply: FastifyReply) {
    const store = this.storeOrRefuse();
    this.requireSynced();
    const identity = identityOf(request.params as IdentityParams);
    const where = `rules-api:${identity.kind}/${identity.namespace}/${identity.name}`;
    const { inputs, problems } = readRuleDocuments(bodyText(request), where);
    const input = oneResourceFor(identity, inputs, problems);
    const all = [...problems, ...this.options.mesh.checkRules([input])];
    if (all.some((p) => fails(p, requiredTargets(request)))) {
      throw new ProblemsError({ rule: formatRuleIdentity(identity), stored: false, ...problemsView(all) });
    }
    const resource = {
      apiVersion: input.apiVersion,
      kind: input.kind,
      metadata: input.metadata,
      spec: input.spec,
    };
    return this.serialized(async () => {
      const current = await store.get(identity);
      checkPreconditions(request, current?.version);
      const stored = await store.put(resource);
      await this.arrived(identity, stored.version);
      reply.code(current ? 200 : 201).header('etag', quote(stored.version));
      return {
        rule: formatRuleIdentity(identity),
        version: stored.version,
        store: store.description,
        ...problemsView(all),
      };
    });
  }

  async delete(request: FastifyRequest, reply: FastifyReply) {
    const store = this.storeOrRefuse();
    const identity = identityOf(request.params as IdentityParams);
    return this.serialized(async () => {
      const current = await store.get(identity);
      if (!current)
        throw new HttpError(404, `${store.description} has no rule ${formatRuleIdentity(identity)}`);
      checkPreconditions(request, current.version);
      await store.delete(identity);
      await this.arrived(identity, undefined);
      reply.code(204);
      return '';
    });
  }

  private statusOf(identity: RuleIdentity): RuleStatus | undefined {
    const held = this.options.mesh
      .ruleStatuses()
      .rules.filter(
        (s) =>
          s.identity.kind === identity.kind &&
          s.identity.namespace === identity.namespace &&
          s.identity.name === identity.name,
      );
    return held.find((s) => s.state !== 'conflict') ?? held[0];
  }

  /**
   * Waits (a little) until this replica's rules hold what was just written, so a client's next
   * request sees its own write (a DestinationRule, then the VirtualService naming its subsets).
   * The write is durable either way; it arrives through the store's watch.
   */
  private async arrived(identity: RuleIdentity, version: string | undefined): Promise<void> {
    const deadline = Date.now() + ARRIVAL_WAIT_MS;
    while (Date.now() < deadline) {
      const held = this.options.mesh
        .ruleStatuses()
        .rules.find(
          (s) =>
            s.identity.kind === identity.kind &&
            s.identity.namespace === identity.namespace &&
            s.identity.name === identity.name &&
            (version === undefined || s.version === version),
        );
      if (version === undefined ? held === undefined : held !== undefined) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Rules are checked against the mesh (hosts, subsets, ports): not before there is one. */
  private requireSynced(): void {
    if (!this.options.mesh.current()) {
      throw new HttpError(503, `${NOT_SYNCED_MESSAGE}: rules are checked against the mesh, retry shortly`);
    }
  }

  private storeOrRefuse(): RuleStore {
    const store = this.options.store;
    if (!store) {
      throw new HttpError(
        405,
        'the Rules API has no store to write to: set rulesApi.directory or rulesApi.adapter in sextant.yaml',
      );
    }
    return store;
  }

  private serialized<T>(write: () => Promise<T>): Promise<T> {
    const result = this.writes.then(write, write);
    this.writes = result.catch(() => undefined);
    return result;
  }
}

function identityOf(params: IdentityParams): RuleIdentity {
  return { kind: params.kind, namespace: params.namespace, name: params.name };
}

function bodyText(request: FastifyRequest): string {
  if (typeof request.body !== 'string' || request.body.trim() === '') {
    throw new HttpError(400, 'the request has no body: send the rule resource as YAML or JSON');
  }
  return request.body;
}

/** The one resource a PUT sends, for the identity its path names (its namespace when the body has none). */
function oneResourceFor(
  identity: RuleIdentity,
  inputs: readonly RuleInput[],
  problems: readonly RuleProblem[],
): RuleInput {
  const fatal = problems.filter((p) => p.severity === 'error');
  if (inputs.length !== 1 || fatal.length > 0) {
    if (fatal.length > 0)
      throw new ProblemsError({
        rule: formatRuleIdentity(identity),
        stored: false,
        ...problemsView(problems),
      });
    throw new HttpError(400, `the body holds ${inputs.length} rule resources; a PUT stores exactly one`);
  }
  const [input] = inputs as [RuleInput];
  const sent = {
    kind: input.kind,
    namespace: input.metadata.namespace ?? identity.namespace,
    name: input.metadata.name,
  };
  if (sent.kind !== identity.kind || sent.namespace !== identity.namespace || sent.name !== identity.name) {
    throw new HttpError(
      400,
      `the body is ${formatRuleIdentity(sent)}, the path names ${formatRuleIdentity(identity)}: they must be the same rule`,
    );
  }
  return identity.namespace === DEFAULT_RULE_NAMESPACE && input.metadata.namespace === undefined
    ? input
    : { ...input, metadata: { ...input.metadata, namespace: identity.namespace } };
}

/** `If-Match: "<version>"` (or `*`: it must exist) and `If-None-Match: *` (it must not). */
function checkPreconditions(request: FastifyRequest, version: string | undefined): void {
  const ifMatch = request.headers['if-match'];
  if (ifMatch !== undefined) {
    const wanted = ifMatch.split(',').map((tag) => tag.trim());
    const matches =
      version !== undefined &&
      (wanted.includes('*') || wanted.includes(quote(version)) || wanted.includes(version));
    if (!matches) {
      throw new HttpError(
        412,
        version === undefined
          ? 'If-Match: the store has no such rule'
          : `If-Match: the stored version is ${quote(version)}; read it again and reapply your change`,
      );
    }
  }
  if (request.headers['if-none-match']?.trim() === '*' && version !== undefined) {
    throw new HttpError(412, `If-None-Match: the store has this rule already (version ${quote(version)})`);
  }
}

/** `?targets=v1,grpc`: render targets whose errors refuse a write, as `sextant validate --targets`. */
function requiredTargets(request: FastifyRequest): ReadonlySet<RenderTarget> {
  const { targets } = request.query as { targets?: unknown };
  if (targets === undefined) return new Set();
  const names = String(targets)
    .split(',')
    .filter((t) => t !== '');
  const unknown = names.filter((t) => !RENDER_TARGETS.includes(t as RenderTarget));
  if (unknown.length > 0) {
    throw new HttpError(
      400,
      `targets: unknown render target "${unknown[0]}" (expected ${RENDER_TARGETS.join(', ')})`,
    );
  }
  return new Set(names as RenderTarget[]);
}

/** An error fails a check, unless it is about one render target the caller does not require. */
function fails(problem: RuleProblem, targets: ReadonlySet<RenderTarget>): boolean {
  return problem.severity === 'error' && (problem.target === undefined || targets.has(problem.target));
}

function problemsView(problems: readonly RuleProblem[]) {
  const view = (p: RuleProblem) => ({
    message: formatProblem(p),
    code: p.code,
    ...(p.rule && { rule: formatRuleIdentity(p.rule) }),
    ...(p.path && { path: p.path }),
    ...(p.line !== undefined && { line: p.line, column: p.column }),
    ...(p.target && { target: p.target }),
  });
  return {
    errors: problems.filter((p) => p.severity === 'error').map(view),
    warnings: problems.filter((p) => p.severity === 'warning').map(view),
  };
}

function quote(version: string): string {
  return `"${version}"`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

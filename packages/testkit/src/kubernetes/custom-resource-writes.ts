import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Verb } from './faults';
import type { KubeObject, ObjectStore } from './object-store';
import { objectJson } from './representation';
import { apiVersionOf, type ResourcePath } from './resource-types';
import { alreadyExists, conflict, deleted, invalid, kubeStatus, notFound, type KubeStatus } from './status';

/** The API server refuses request bodies past 3 MiB. */
const MAX_BODY = 3 * 1024 * 1024;

type Fail = (status: KubeStatus) => void;

/**
 * Creates (POST), replaces (PUT) and deletes (DELETE) custom resources as the API server's
 * generic registry does for them: the body's apiVersion, kind, name and namespace must be those
 * the path names; a replace must carry the resourceVersion it read (409 Conflict when it is no
 * longer current, 422 when absent: custom resources allow no unconditional update) and never
 * creates; a create of an existing name is 409 AlreadyExists. Successful writes reach watchers.
 */
export function serveCustomResourceWrite(
  store: ObjectStore,
  request: IncomingMessage,
  response: ServerResponse,
  path: ResourcePath,
  verb: Extract<Verb, 'create' | 'update' | 'delete'>,
  fail: Fail,
  answered: (status: number) => void,
): void {
  readBody(request).then(
    (body) => {
      if (body === undefined) return fail(kubeStatus(413, 'Request entity too large: limit is 3145728'));
      const write = new Write(store, response, path, fail, answered);
      if (verb === 'delete') write.delete(body);
      else write.save(verb, body);
    },
    () => fail(kubeStatus(400, 'the request body could not be read')),
  );
}

class Write {
  private readonly apiVersion: string;

  constructor(
    private readonly store: ObjectStore,
    private readonly response: ServerResponse,
    private readonly path: ResourcePath,
    private readonly fail: Fail,
    private readonly answered: (status: number) => void,
  ) {
    this.apiVersion = apiVersionOf(path.type, path.version);
  }

  save(verb: 'create' | 'update', body: string): void {
    const { type, namespace } = this.path;
    let object: KubeObject;
    try {
      object = JSON.parse(body) as KubeObject;
    } catch (error) {
      return this.fail(kubeStatus(400, `the body is not JSON: ${(error as Error).message}`));
    }
    if (typeof object !== 'object' || object === null || typeof object.metadata !== 'object') {
      return this.fail(kubeStatus(400, 'the body is not an object with metadata'));
    }
    if (object.apiVersion !== this.apiVersion || object.kind !== type.kind) {
      return this.fail(
        kubeStatus(
          400,
          `the API version in the data (${String(object.apiVersion)}) and kind (${String(object.kind)}) ` +
            `do not match the expected API version (${this.apiVersion}) and kind (${type.kind})`,
        ),
      );
    }
    if (object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) {
      return this.fail(
        kubeStatus(
          400,
          'the namespace of the provided object does not match the namespace sent on the request',
        ),
      );
    }
    const name = object.metadata.name;
    if (verb === 'update' && name !== this.path.name) {
      return this.fail(
        kubeStatus(
          400,
          `the name of the object (${String(name)}) does not match the name on the URL (${this.path.name ?? ''})`,
        ),
      );
    }
    if (typeof name !== 'string' || name === '') {
      return this.fail(
        invalid(type, '', 'metadata.name', 'Required value: name or generateName is required'),
      );
    }
    const current = this.store.get(type, namespace, name);
    const sent = object.metadata.resourceVersion;
    if (verb === 'create') {
      if (current) return this.fail(alreadyExists(type, name));
    } else {
      if (!current) return this.fail(notFound(type, name));
      if (sent === undefined || sent === '') {
        return this.fail(
          invalid(
            type,
            name,
            'metadata.resourceVersion',
            'Invalid value: 0x0: must be specified for an update',
          ),
        );
      }
      if (sent !== String(current.resourceVersion)) return this.fail(conflict(type, name));
    }
    // The server owns these: what the client sent is replaced (uid and creation time are kept).
    const { resourceVersion: _rv, uid: _uid, creationTimestamp: _created, ...metadata } = object.metadata;
    this.store.put({
      ...object,
      apiVersion: apiVersionOf(type),
      metadata: { ...metadata, name, ...(namespace !== undefined && { namespace }) },
    });
    const stored = this.store.get(type, namespace, name);
    if (!stored) return this.fail(kubeStatus(500, 'the object vanished while being written'));
    const status = verb === 'create' ? 201 : 200;
    this.answered(status);
    this.response
      .writeHead(status, { 'Content-Type': 'application/json' })
      .end(objectJson(stored, 'object', this.apiVersion));
  }

  delete(body: string): void {
    const { type, namespace, name = '' } = this.path;
    const current = this.store.get(type, namespace, name);
    if (!current) return this.fail(notFound(type, name));
    let wanted: string | undefined;
    if (body.trim() !== '') {
      try {
        const options = JSON.parse(body) as { preconditions?: { resourceVersion?: unknown } };
        const rv = options?.preconditions?.resourceVersion;
        wanted = typeof rv === 'string' ? rv : undefined;
      } catch (error) {
        return this.fail(kubeStatus(400, `the DeleteOptions are not JSON: ${(error as Error).message}`));
      }
    }
    if (wanted !== undefined && wanted !== String(current.resourceVersion)) {
      return this.fail(
        kubeStatus(
          409,
          `Operation cannot be fulfilled on ${type.resource}.${type.group} "${name}": Precondition failed: ` +
            `ResourceVersion in precondition: ${wanted}, ResourceVersion in object meta: ${current.resourceVersion}`,
          { reason: 'Conflict' },
        ),
      );
    }
    const uid = (JSON.parse(current.metadataJson) as { uid?: string }).uid;
    this.store.remove(type, namespace, name);
    this.answered(200);
    this.response
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end(JSON.stringify(deleted(type, name, uid)));
  }
}

/** The body, or undefined when it is larger than the API server accepts. */
function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

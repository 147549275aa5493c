import {
  isValidHostname,
  isValidPortName,
  showValue,
  type FieldPath,
  type Problem,
  type SourceDocument,
} from '@sextant/core';

/** Past this many problems the rest are counted, not described: a large file can have millions. */
export const MAX_PROBLEMS_DESCRIBED = 1000;

/**
 * The rules of a services file that its JSON Schema cannot express: unique hostnames, unique
 * port names and numbers, how an instance names the ports it serves, no duplicate instances.
 * Runs on the document as parsed, whether or not it passed the schema, so that one pass reports
 * every problem (up to MAX_PROBLEMS_DESCRIBED); values of the wrong shape are left to the schema's report.
 */
export function checkServicesFile(document: Pick<SourceDocument, 'value' | 'problem'>): Problem[] {
  const problems: Problem[] = [];
  let undescribed = 0;
  let firstUndescribed: FieldPath = [];
  const report = (path: FieldPath, message: string, atKey = false): void => {
    if (problems.length < MAX_PROBLEMS_DESCRIBED) problems.push(document.problem(path, message, atKey));
    else if ((undescribed += 1) === 1) firstUndescribed = path;
  };

  const root = asRecord(document.value);
  const firstWithHostname = new Map<string, number>();
  for (const [i, item] of asArray(root?.services).entries()) {
    const service = asRecord(item);
    if (!service) continue;
    const at: FieldPath = ['services', i];
    const hostname = service.hostname;
    if (typeof hostname === 'string') {
      const first = firstWithHostname.get(hostname);
      if (!isValidHostname(hostname)) {
        report([...at, 'hostname'], `not a valid hostname (${showValue(hostname)})`);
      } else if (first !== undefined) {
        report([...at, 'hostname'], `duplicate hostname "${hostname}": services[${first}] has it already`);
      } else {
        firstWithHostname.set(hostname, i);
      }
    }
    const ports = checkPorts(asArray(service.ports), at, report);
    const instances = asArray(service.instances);
    // Paths are made only for problems: a mesh has hundreds of thousands of instances.
    for (let j = 0; j < instances.length; j += 1) checkInstance(asRecord(instances[j]), ports, at, j, report);
    checkDuplicateInstances(instances, ports, at, report);
  }
  if (undescribed > 0) {
    problems.push(
      document.problem(
        firstUndescribed,
        `and ${undescribed} more problem(s) of these kinds from here on, not listed`,
      ),
    );
  }
  return problems;
}

type Report = (path: FieldPath, message: string, atKey?: boolean) => void;

/** The service's ports as name → number, for the well-formed ones. */
type PortNumbers = ReadonlyMap<string, number>;

function checkPorts(ports: readonly unknown[], at: FieldPath, report: Report): PortNumbers {
  const numbers = new Map<string, number>();
  // A service's only port (most services have one) repeats nothing: no maps to tell.
  const firstWithName = ports.length > 1 ? new Map<string, number>() : undefined;
  const firstWithNumber = ports.length > 1 ? new Map<number, number>() : undefined;
  for (let k = 0; k < ports.length; k += 1) {
    const port = asRecord(ports[k]);
    const name = port?.name;
    const number = port?.port;
    if (typeof name === 'string') {
      const first = firstWithName?.get(name);
      if (!isValidPortName(name)) {
        report(
          [...at, 'ports', k, 'name'],
          `not a valid port name (${showValue(name)}): use up to 63 letters, digits, "-", "_" or "."`,
        );
      } else if (first !== undefined) {
        report([...at, 'ports', k, 'name'], `duplicate port name "${name}": ports[${first}] has it already`);
      } else {
        firstWithName?.set(name, k);
        if (typeof number === 'number') numbers.set(name, number);
      }
    }
    if (typeof number === 'number') {
      const first = firstWithNumber?.get(number);
      if (first !== undefined) {
        report(
          [...at, 'ports', k, 'port'],
          `duplicate port number ${number}: ports[${first}] has it already`,
        );
      } else {
        firstWithNumber?.set(number, k);
      }
    }
  }
  return numbers;
}

function checkInstance(
  instance: Record<string, unknown> | undefined,
  ports: PortNumbers,
  serviceAt: FieldPath,
  j: number,
  report: Report,
): void {
  if (!instance) return;
  if (instance.port === undefined && instance.ports === undefined) return;
  const at = (...rest: FieldPath): FieldPath => [...serviceAt, 'instances', j, ...rest];
  const names = () => [...ports.keys()];
  if (instance.port !== undefined && instance.ports !== undefined) {
    report(at('ports'), 'give "port" or "ports", not both');
  } else if (instance.port !== undefined && ports.size > 1) {
    report(
      at('port'),
      `the service has ${ports.size} ports (${names().join(', ')}): use "ports" to say which port this is ` +
        `(e.g. ports: { ${names()[0]}: ${showValue(instance.port)} })`,
    );
  }
  const named = asRecord(instance.ports);
  if (!named) return;
  if (Object.keys(named).length === 0) {
    report(
      at('ports'),
      'names no port: list the ports this instance serves, or leave "ports" out to serve them all',
    );
  }
  for (const key of Object.keys(named)) {
    if (!ports.has(key)) {
      report(at('ports', key), `not a port of the service (its ports: ${names().join(', ')})`, true);
    }
  }
}

/** The same address serving the same service port twice would count twice in load balancing. */
function checkDuplicateInstances(
  instances: readonly unknown[],
  ports: PortNumbers,
  at: FieldPath,
  report: Report,
): void {
  // Only instances at an address another instance has can be duplicates: the ports each serves are
  // indexed for those alone (a mesh's files hold hundreds of thousands of instances, nearly all at
  // addresses of their own). By address: the first instance there, or INDEXED once its ports are.
  const firstAtAddress = new Map<string, number>();
  const firstServing = new Map<string, number>();
  const serve = (j: number, instance: Record<string, unknown>): void => {
    for (const [portName, port] of servedPorts(instance, ports)) {
      const id = `${portName} ${instance.address as string}:${port}`;
      const first = firstServing.get(id);
      if (first === undefined) {
        firstServing.set(id, j);
      } else {
        report(
          [...at, 'instances', j, 'address'],
          `duplicate instance: instances[${first}] already serves port ${portName} at ${instance.address as string}:${port}`,
        );
        break;
      }
    }
  };
  for (let j = 0; j < instances.length; j += 1) {
    const instance = asRecord(instances[j]);
    const address = instance?.address;
    if (!instance || typeof address !== 'string') continue;
    const first = firstAtAddress.get(address);
    if (first === undefined) {
      firstAtAddress.set(address, j);
      continue;
    }
    if (first !== INDEXED) {
      serve(first, asRecord(instances[first]) as Record<string, unknown>);
      firstAtAddress.set(address, INDEXED);
    }
    serve(j, instance);
  }
}

const INDEXED = -1;

/** The (port name, instance port) pairs an instance serves, as far as its fields are well-formed. */
function servedPorts(instance: Record<string, unknown>, ports: PortNumbers): Iterable<[string, unknown]> {
  const named = asRecord(instance.ports);
  if (named) return Object.entries(named);
  if (instance.port === undefined) return ports;
  // `port` on a multi-port service is reported by checkInstance; it serves nothing to compare.
  if (ports.size !== 1) return [];
  for (const name of ports.keys()) return [[name, instance.port]];
  return [];
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

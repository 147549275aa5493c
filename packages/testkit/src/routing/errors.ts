/**
 * A route table, listener or request the simulator cannot read, or a feature of one it does not
 * simulate (a runtime-gated match, a cluster specifier plugin…). It is the caller's mistake or the
 * simulator's limit, never the client's verdict: what a client would refuse is an `invalid` outcome.
 * `path` locates the offending field (`virtual_hosts[0].routes[2].match`).
 */
export class SimulationError extends Error {
  override readonly name = 'SimulationError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(path ? `${path}: ${reason}` : reason);
  }
}

/**
 * What the client would refuse in a configuration, collected while compiling all of it: Envoy
 * and the gRPC clients reject a whole resource for one bad route, so every problem is gathered
 * before any request is evaluated.
 */
export class Problems {
  private readonly found: string[] = [];

  add(path: string, reason: string): void {
    this.found.push(path ? `${path}: ${reason}` : reason);
  }

  get all(): readonly string[] {
    return this.found;
  }
}

import type { SeededRandom } from './random';
import type { UnindexedRegistration } from './registration-table';
import type { RegistrationInput } from './wire';

/**
 * Fills in what a test leaves out of a registration the way a Nomad client would: namespace
 * `default`, datacenter `dc1`, the job named after the service, a fresh allocation ID, the node
 * of that address (one node per address), no tags (`null` on the wire), and the ID Nomad derives
 * for a group-level service: `_nomad-task-<allocID>-group-<job>-<service>-<portLabel>`.
 */
export class RegistrationFactory {
  private readonly nodes = new Map<string, string>();

  constructor(private readonly random: SeededRandom) {}

  build(input: RegistrationInput): UnindexedRegistration {
    const namespace = input.Namespace ?? 'default';
    const allocId = input.AllocID ?? this.random.uuid();
    const jobId = input.JobID ?? input.ServiceName;
    return {
      ID:
        input.ID ?? `_nomad-task-${allocId}-group-${jobId}-${input.ServiceName}-${input.PortLabel ?? 'http'}`,
      ServiceName: input.ServiceName,
      Namespace: namespace,
      NodeID: input.NodeID ?? this.nodeOf(input.Address),
      Datacenter: input.Datacenter ?? 'dc1',
      JobID: jobId,
      AllocID: allocId,
      Tags: input.Tags === undefined ? null : input.Tags,
      Address: input.Address,
      Port: input.Port,
    };
  }

  private nodeOf(address: string): string {
    let node = this.nodes.get(address);
    if (!node) this.nodes.set(address, (node = this.random.uuid()));
    return node;
  }
}

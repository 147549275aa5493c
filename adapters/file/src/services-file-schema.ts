import {
  HEALTH_STATES,
  MAX_INSTANCE_WEIGHT,
  PROTOCOLS,
  type Health,
  type Labels,
  type Locality,
  type Protocol,
} from '@sextant/core';

/**
 * The services file as written (docs: "The file adapter"). Shapes are checked by the schema
 * below; what a schema cannot say (unique names, which ports an instance may name) by
 * check-services-file.ts.
 */
export interface ServicesFile {
  readonly services: readonly ServiceSpec[];
}

export interface ServiceSpec {
  readonly hostname: string;
  readonly ports: readonly PortSpec[];
  readonly labels?: Labels;
  /** Virtual IPs. */
  readonly addresses?: readonly string[];
  readonly instances?: readonly InstanceSpec[];
}

export interface PortSpec {
  readonly name: string;
  readonly port: number;
  /** Default `http`. */
  readonly protocol?: Protocol;
}

/**
 * One machine or container serving the service. It serves the ports named in `ports` (port
 * name → the port it listens on), or with `port` the service's only port, or with neither
 * every service port on the service's own port numbers.
 */
export interface InstanceSpec {
  readonly address: string;
  readonly port?: number;
  readonly ports?: Readonly<Record<string, number>>;
  readonly labels?: Labels;
  readonly locality?: Locality;
  /** Default 1. */
  readonly weight?: number;
  /** Default `healthy`. */
  readonly health?: Health;
}

const portNumber = { type: 'integer', minimum: 1, maximum: 65535 };
const labels = { type: 'object', additionalProperties: { type: 'string' } };

export const servicesFileSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['services'],
  properties: {
    services: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['hostname', 'ports'],
        properties: {
          hostname: { type: 'string' },
          ports: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name', 'port'],
              properties: {
                name: { type: 'string' },
                port: portNumber,
                protocol: { enum: [...PROTOCOLS] },
              },
            },
          },
          labels,
          addresses: { type: 'array', items: { type: 'string', format: 'ip' } },
          instances: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['address'],
              properties: {
                address: { type: 'string', format: 'ip' },
                port: portNumber,
                ports: { type: 'object', additionalProperties: portNumber },
                labels,
                locality: {
                  type: 'object',
                  additionalProperties: false,
                  properties: {
                    region: { type: 'string' },
                    zone: { type: 'string' },
                    subzone: { type: 'string' },
                  },
                },
                weight: { type: 'integer', minimum: 1, maximum: MAX_INSTANCE_WEIGHT },
                health: { enum: [...HEALTH_STATES] },
              },
            },
          },
        },
      },
    },
  },
} as const;

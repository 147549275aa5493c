import type { NomadServiceRegistration } from './wire';

/**
 * The shared fixture world (../shared/spec/fixtures/nomad-*.json) as registrations: `web` with two
 * allocations (the exact registrations of `nomad-service.json`), `api` (tags `v2`, `grpc`) in
 * `default`, and `redis` (tag `cache`) in `payments`. Served at index 5107,
 * `GET /v1/services?namespace=*` gives `nomad-services.json` and `GET /v1/service/web` gives
 * `nomad-service.json`.
 */
export const FIXTURE_INDEX = 5107;

export const fixtureRegistrations: readonly NomadServiceRegistration[] = [
  {
    ID: '_nomad-task-3d4f8a1c-6b2e-9c0d-4e1f-a2b3c4d5e6f7-group-web-web-http',
    ServiceName: 'web',
    Namespace: 'default',
    NodeID: '0b7c5f2e-1a3d-4e6f-8a9b-c0d1e2f3a4b5',
    Datacenter: 'dc1',
    JobID: 'web',
    AllocID: '3d4f8a1c-6b2e-9c0d-4e1f-a2b3c4d5e6f7',
    Tags: ['v1', 'http'],
    Address: '10.0.1.11',
    Port: 8080,
    CreateIndex: 5021,
    ModifyIndex: 5021,
  },
  {
    ID: '_nomad-task-9e8d7c6b-5a4f-3e2d-1c0b-a9f8e7d6c5b4-group-web-web-http',
    ServiceName: 'web',
    Namespace: 'default',
    NodeID: '6c5d4e3f-2a1b-4c9d-8e7f-6a5b4c3d2e1f',
    Datacenter: 'dc1',
    JobID: 'web',
    AllocID: '9e8d7c6b-5a4f-3e2d-1c0b-a9f8e7d6c5b4',
    Tags: ['v1', 'http'],
    Address: '10.0.1.12',
    Port: 8080,
    CreateIndex: 5098,
    ModifyIndex: 5098,
  },
  {
    ID: '_nomad-task-5c1e2d3f-4a5b-4c6d-8e7f-90a1b2c3d4e5-group-api-api-grpc',
    ServiceName: 'api',
    Namespace: 'default',
    NodeID: '6c5d4e3f-2a1b-4c9d-8e7f-6a5b4c3d2e1f',
    Datacenter: 'dc1',
    JobID: 'api',
    AllocID: '5c1e2d3f-4a5b-4c6d-8e7f-90a1b2c3d4e5',
    Tags: ['v2', 'grpc'],
    Address: '10.0.2.21',
    Port: 9090,
    CreateIndex: 5060,
    ModifyIndex: 5060,
  },
  {
    ID: '_nomad-task-7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d-group-cache-redis-db',
    ServiceName: 'redis',
    Namespace: 'payments',
    NodeID: '0b7c5f2e-1a3d-4e6f-8a9b-c0d1e2f3a4b5',
    Datacenter: 'dc1',
    JobID: 'cache',
    AllocID: '7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d',
    Tags: ['cache'],
    Address: '10.0.3.31',
    Port: 6379,
    CreateIndex: 5077,
    ModifyIndex: 5077,
  },
];

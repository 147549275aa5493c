import type { RuleProblem } from './rules/problems';
import type { RuleStore } from './rules/rule-store';
import type { Problem } from './errors';
import type { Logger } from './logger';
import type { Health, Labels, Locality, Protocol, ServicePort } from './model';
import type { PrecompiledValidators } from './schema/validate';

/**
 * The adapter plugin contract (DESIGN §4). An adapter package's main export is an
 * AdapterFactory; the daemon loads built-in adapters by `type` and third-party ones
 * by package name or path, and refuses a factory whose `apiVersion` it does not speak.
 */
export const ADAPTER_API_VERSION = 1;

export interface AdapterFactory<O = Record<string, unknown>> {
  /** The contract version this factory implements, checked at load. */
  readonly apiVersion: 1;
  /** The name users write as `type:` (`consul`); for third-party packages, informative. */
  readonly type: string;
  /**
   * JSON Schema (draft-07) of the adapter's options: every key of its config entry but
   * `name` and `type`. Options failing it are refused at load, naming the option path.
   * Defaults written in the schema are applied before `create` sees the options.
   */
  readonly optionsSchema: object;
  /**
   * Optional: `optionsSchema` compiled ahead of time into ajv standalone code (the `every` and
   * `first` exports that @sextant/core's scripts/precompile-validators.js writes), so that loading
   * the adapter loads validators instead of compiling its schema (and ajv with it: some 40 ms of
   * start-up). Without them the schema is compiled when the adapter is first configured.
   */
  readonly optionsValidators?: PrecompiledValidators;
  create(options: O, context: AdapterContext): Adapter;
  /**
   * Optional: checks what the options point at (files, templates) without starting
   * anything, for `sextant validate`. Options have already passed the schema.
   */
  check?(options: O, context: AdapterContext): Promise<readonly Problem[]>;
  /**
   * Optional, for adapters whose whole state lies on local disk (a services file): the services
   * and instances the adapter would report, read once without contacting any platform, so that
   * `sextant validate` can check traffic rules against them. Undefined when what the options
   * point at cannot be read (`check` says why). Adapters of a live platform leave it out: the
   * hosts they provide are then known only at run time.
   */
  offlineState?(options: O, context: AdapterContext): Promise<AdapterState | undefined>;
}

/** What the daemon gives an adapter instance. */
export interface AdapterContext {
  /** The instance name from the config (unique; the registry partition is named after it). */
  readonly name: string;
  readonly logger: Logger;
  /** Directory of the config file; relative paths in options are relative to it. */
  readonly baseDir: string;
  /** Resolves a path from the options against `baseDir`. */
  resolvePath(path: string): string;
  /** The process environment, for defaults such as CONSUL_HTTP_ADDR (tests substitute it). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface Adapter {
  /**
   * Watches the platform and reports into the sink until the signal aborts; resolves once
   * every socket, watcher and timer it opened is closed. Never throws for platform faults:
   * it retries with backoff and reports its status instead.
   */
  run(sink: RegistrySink, signal: AbortSignal): Promise<void>;
  /**
   * Where the Rules API can write rules so that this adapter (and every replica reading the same
   * platform) reads them back: for adapters whose platform stores rules (`rulesApi.adapter`).
   */
  readonly ruleStore?: RuleStore;
}

/** `syncing` until the first complete sync, then `ready`; `degraded` while the platform is failing. */
export type AdapterStatus = 'syncing' | 'ready' | 'degraded';

/** A service as an adapter reports it; the registry stamps `origin` and fills the defaults. */
export interface ServiceInput {
  readonly hostname: string;
  readonly ports: readonly ServicePort[];
  readonly labels?: Labels;
  readonly addresses?: readonly string[];
}

/** An instance as an adapter reports it. Defaults: no labels, no locality, weight 1, healthy. */
export interface InstanceInput {
  readonly address: string;
  readonly port: number;
  readonly portName: string;
  readonly labels?: Labels;
  readonly locality?: Locality;
  readonly weight?: number;
  readonly health?: Health;
}

/** An instance in a full resync, which names the service it belongs to. */
export interface HostedInstanceInput extends InstanceInput {
  readonly hostname: string;
}

/** Everything an adapter knows, reported at once. */
export interface AdapterState {
  readonly services: readonly ServiceInput[];
  readonly instances: readonly HostedInstanceInput[];
  /**
   * Traffic rules stored on the platform, if the adapter reads any (Kubernetes custom resources,
   * Consul KV). Given, they become all of the adapter's rules (every origin of replaceRules);
   * omitted, the rules stay as last reported.
   */
  readonly config?: readonly RuleResource[];
}

/**
 * A traffic rule as the platform stores it: a resource in Istio's (or Pilot's, or the Gateway
 * API's) language. The registry parses and validates it like a rule from a file; a bad version
 * keeps the last good one in force and shows its errors on /debug/rules, naming `source`.
 */
export interface RuleResource {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    /** RFC 3339, as Kubernetes sets it: older Gateway API routes win precedence ties. */
    readonly creationTimestamp?: string;
  };
  readonly spec: unknown;
  /** Where it is on the platform, for messages: `consul-kv:sextant/rules/reviews.yaml`. */
  readonly source?: string;
}

/**
 * Where an adapter reports. It owns only what it reported: its partition is kept apart from
 * other adapters', and stays as last reported while the adapter is `degraded`.
 * Reports that change nothing cost nothing, so adapters need not diff before reporting.
 */
export interface RegistrySink {
  /** Full resync: the partition becomes exactly this state. */
  replaceAll(state: AdapterState): void;
  /** One service and its complete instance list changed (or appeared). */
  upsertService(service: ServiceInput, instances: readonly InstanceInput[]): void;
  removeService(hostname: string): void;
  /**
   * The adapter's traffic rules from one origin (a KV prefix, one kind of custom resource, Consul's
   * config entries) as of now; rules the adapter reported from other origins stay. Lets an adapter
   * watch each origin on its own, without gathering them into one report. Identical reports cost
   * nothing. `problems`: what kept part of the origin from being read (a stored value that is not
   * YAML, located by its `file`, e.g. `consul-kv:<key>`), shown on /debug/rules; while one is an
   * error, rules the adapter no longer reports stay in force (as for a rules file that does not parse).
   */
  replaceRules(origin: string, rules: readonly RuleResource[], problems?: readonly RuleProblem[]): void;
  /**
   * `ready` after the first complete sync (and whenever the adapter confirms its state is
   * current, which resets the age shown on /debug/registry); `degraded` with a reason while
   * the platform fails.
   */
  setStatus(status: AdapterStatus, detail?: string): void;
}

export type { Protocol };

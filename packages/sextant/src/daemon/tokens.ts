/** Injection tokens of the composition root (daemon/container.ts). */
export const CONFIG = Symbol('LoadedConfig');
export const LOGGER = Symbol('Logger');
export const LISTENERS = Symbol('Listener[]');

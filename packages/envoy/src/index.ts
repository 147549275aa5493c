export * from './v1';
export { proxyRenderKey } from './proxy-render-key';
export {
  httpEntriesOnPort,
  httpPorts,
  instancesAt,
  localPorts,
  perEntry,
  perSnapshot,
  sortedEntries,
  tcpEntriesWithVip,
  type LocalPort,
} from './mesh-index';
export * from './v3';

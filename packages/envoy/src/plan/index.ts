export * from './plan-types';
export { NO_SOURCE, resolve, routePlan, type ProxySource, type RouteDefaults } from './route-plan';
export { clusterPlans, type ClusterPlan } from './cluster-plan';
export { proxySource, sourceKey } from './proxy-source';
export { portRoutePlans } from './port-routes';

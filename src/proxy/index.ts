export { startProxy, type ProxyOptions, type ServiceProxy } from './service-proxy.js';
export { ProxyStats, type ServiceConnectionStats } from './stats.js';
export { BackendPicker, backendsFromSlices, backendKey, type Backend } from './backends.js';

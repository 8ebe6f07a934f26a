// The framework-free call domain shared by the API and the portal: types, the socket
// protocol and pure functions. Zod schemas live in the separate `schemas` entry point so the
// portal's bundle does not carry them.
export * from './agent';
export * from './agent-transitions';
export * from './auth';
export * from './call';
export * from './call-quality';
export * from './call-transitions';
export * from './desk';
export * from './errors';
export * from './messages';
export * from './metric-definitions';
export * from './metrics';
export * from './protocol';
export * from './routing';
export * from './supervisor';

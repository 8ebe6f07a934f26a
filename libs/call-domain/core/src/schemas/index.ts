// Zod schemas for every payload that crosses the boundary (HTTP bodies and socket events).
// Used by the API to validate at its edge; kept out of the portal bundle.
export * from './auth.schemas';
export * from './supervisor.schemas';
export * from './call.schemas';
export * from './agent-state.schemas';
export * from './storable-text';

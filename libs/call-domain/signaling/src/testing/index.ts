// Test doubles for code that uses the signaling library: an in-memory relay standing in
// for the API, and parties (client + softphone) wired to it. Tests only.
export * from './fake-relay';
export * from './parties';
export * from './call-media';

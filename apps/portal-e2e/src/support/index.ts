// Browser-test support shared by the end-to-end specs and the benchmarks in tools/bench:
// the built app on a random port, Chromium with a tone-fed fake microphone, audio stats.
export * from './api';
export * from './app-server';
export * from './audio-stats';
export * from './browser';
export * from './nat-topology';
export * from './wait';
export * from './turn-server';

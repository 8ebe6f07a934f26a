// Shared UI of the portal's call screens.
export * from './call-panel/call-panel';
export * from './clock/clock';
export * from './duration/format-duration';

// Shared UI of the portal's call screens.
export * from './call-panel/call-panel';
export * from './call-quality/call-quality-indicator';
export * from './clock/clock';
export * from './duration/format-duration';

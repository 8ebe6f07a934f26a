// The call panel's test harness, for the pages that show it.
export * from './call-panel-harness';

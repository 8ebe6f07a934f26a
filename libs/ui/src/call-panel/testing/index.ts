// The call panel's test harness, for the pages that show it.
export * from './call-panel-harness';
export * from '../../call-quality/testing/call-quality-harness';

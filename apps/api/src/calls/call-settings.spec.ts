import { ConfigError } from '../config/config';
import { DEFAULT_DISPOSITIONS, loadCallSettings } from './call-settings';

describe('loadCallSettings', () => {
  it('applies the defaults', () => {
    expect(loadCallSettings({})).toEqual({
      ringTimeoutSeconds: 20,
      maxWaitSeconds: 300,
      wrapUpSeconds: 60,
      presenceGraceSeconds: 30,
      callerGraceSeconds: 10,
      mediaTimeoutSeconds: 30,
      shortAbandonSeconds: 5,
      dispositions: DEFAULT_DISPOSITIONS,
      deadlinePollMs: 250,
      redisRoomsKey: 'switchboard',
    });
  });

  it('reads timers and a comma-separated disposition list', () => {
    const settings = loadCallSettings({ RING_TIMEOUT_SECONDS: '1', DISPOSITIONS: ' Solved, Referred ,,Solved' });
    expect(settings.ringTimeoutSeconds).toBe(1);
    expect(settings.dispositions).toEqual(['Solved', 'Referred']);
  });

  it('names every invalid variable', () => {
    expect(() => loadCallSettings({ RING_TIMEOUT_SECONDS: '0', MAX_WAIT_SECONDS: 'long', DISPOSITIONS: ' , ' })).toThrowMatching(
      (e) => e instanceof ConfigError && ['RING_TIMEOUT_SECONDS', 'MAX_WAIT_SECONDS', 'DISPOSITIONS'].every((n) => e.message.includes(n)),
    );
  });
});

import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { MICROPHONE_CHOICE_KEY } from './audio-devices';
import { MicrophoneCheck } from './microphone-check';
import { MicrophoneCheckHarness } from './testing/device-harnesses';

// Karma's Chromium runs with fake media devices (tools/chromium-flags.json): "Fake Default
// Audio Input", "Fake Audio Input 1" and "2", each playing a beep; the real getUserMedia,
// enumerateDevices and Web Audio analyser are used.
describe('MicrophoneCheck', () => {
  let fixture: ComponentFixture<MicrophoneCheck>;

  beforeEach(() => localStorage.clear());
  afterEach(() => {
    fixture?.destroy();
    localStorage.clear();
  });

  /** Clicks Test microphone and waits for the meter (the microphone opens asynchronously). */
  async function start(check: MicrophoneCheckHarness): Promise<void> {
    await check.start();
    await eventually(() => check.getLevel(), (level) => level !== null, 'the test running');
  }

  async function render(): Promise<MicrophoneCheckHarness> {
    fixture = TestBed.createComponent(MicrophoneCheck);
    fixture.autoDetectChanges();
    return TestbedHarnessEnvironment.harnessForFixture(fixture, MicrophoneCheckHarness);
  }

  /** Waits until `check` holds (the harness re-renders on every read). */
  async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string, withinMs = 8_000): Promise<T> {
    const until = Date.now() + withinMs;
    for (;;) {
      const value = await read();
      if (check(value)) return value;
      if (Date.now() > until) throw new Error(`Timed out waiting for ${what} (last: ${String(value)})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('shows the live level of the microphone as a meter with words, then says "We can hear you."', async () => {
    const check = await render();
    expect(await check.getLevel()).toBeNull();
    await start(check);
    expect(await check.getVerdict()).toMatch(/Say something|We can hear you/);
    const levels = new Set<number>();
    await eventually(
      async () => levels.add((await check.getLevel()) ?? -1).size,
      (distinct) => distinct >= 3,
      'the meter to move',
    );
    expect(await check.getLevelText()).toMatch(/^Level \d+ %$/);
    await eventually(() => check.getVerdict(), (verdict) => verdict === 'We can hear you.', '"We can hear you."');
    await check.stop();
    expect(await check.getLevel()).toBeNull();
  }, 20_000);

  it('lists the microphones by name, remembers the one chosen in this browser, and starts the next check on it', async () => {
    let check = await render();
    await start(check);
    await eventually(() => check.getMicrophones(), (names) => names.includes('Fake Audio Input 2'), 'the microphones listed');
    expect((await check.getMicrophones())[0]).toBe('Browser default');
    await check.chooseMicrophone('Fake Audio Input 2');
    const remembered = localStorage.getItem(MICROPHONE_CHOICE_KEY);
    expect(remembered).toBeTruthy();
    await eventually(() => check.getVerdict(), (verdict) => verdict === 'We can hear you.', '"We can hear you." on the chosen microphone');

    // A new page (the help page again): the choice is still there.
    fixture.destroy();
    check = await render();
    await start(check);
    await eventually(() => check.getMicrophone(), (name) => name === 'Fake Audio Input 2', 'the remembered microphone chosen');
    expect(localStorage.getItem(MICROPHONE_CHOICE_KEY)).toBe(remembered);
  }, 20_000);

  it('falls back to the browser default when the remembered microphone is gone, and keeps the choice for when it is back', async () => {
    localStorage.setItem(MICROPHONE_CHOICE_KEY, 'a-microphone-unplugged-long-ago');
    const check = await render();
    await start(check);
    expect(await check.getError()).toBeNull();
    await eventually(() => check.getVerdict(), (verdict) => verdict === 'We can hear you.', '"We can hear you." on the default microphone');
    expect(await check.getMicrophone()).toBe('Browser default');
    expect(localStorage.getItem(MICROPHONE_CHOICE_KEY)).toBe('a-microphone-unplugged-long-ago');
  }, 20_000);
});

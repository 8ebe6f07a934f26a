import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { MICROPHONE_CHOICE_KEY, SPEAKER_CHOICE_KEY } from './audio-devices';
import { AudioSettings } from './audio-settings';
import { AudioSettingsHarness } from './testing/device-harnesses';

// Karma's Chromium lists fake devices (tools/chromium-flags.json): three microphones and three
// speakers, named once the microphone was allowed (the fake UI allows it).
describe('AudioSettings', () => {
  let fixture: ComponentFixture<AudioSettings>;

  beforeEach(async () => {
    localStorage.clear();
    // The names appear with the permission, as after the agent's first click on Available.
    for (const track of (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks()) track.stop();
  });
  afterEach(() => {
    fixture?.destroy();
    localStorage.clear();
  });

  async function render(): Promise<AudioSettingsHarness> {
    fixture = TestBed.createComponent(AudioSettings);
    fixture.autoDetectChanges();
    await fixture.whenStable();
    const settings = await TestbedHarnessEnvironment.harnessForFixture(fixture, AudioSettingsHarness);
    for (let tries = 0; (await settings.getChoices()).length < 2 && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 20));
    return settings;
  }

  it("offers the browser's microphones and speakers by name, the default first", async () => {
    const settings = await render();
    expect(await settings.getChoices()).toEqual(['Microphone', 'Speaker']);
    expect(await settings.getOptions('Microphone')).toEqual(['Browser default', 'Fake Audio Input 1', 'Fake Audio Input 2']);
    expect(await settings.getOptions('Speaker')).toEqual(['Browser default', 'Fake Audio Output 1', 'Fake Audio Output 2']);
    expect(await settings.getChosen('Speaker')).toBe('Browser default');
  });

  it('remembers the choices in this browser and shows them on the next visit', async () => {
    let settings = await render();
    await settings.choose('Microphone', 'Fake Audio Input 1');
    await settings.choose('Speaker', 'Fake Audio Output 2');
    expect(localStorage.getItem(MICROPHONE_CHOICE_KEY)).toBeTruthy();
    expect(localStorage.getItem(SPEAKER_CHOICE_KEY)).toBeTruthy();

    fixture.destroy();
    settings = await render();
    expect(await settings.getChosen('Microphone')).toBe('Fake Audio Input 1');
    expect(await settings.getChosen('Speaker')).toBe('Fake Audio Output 2');
  });

  it('shows the default for a remembered speaker that is gone, and keeps the choice', async () => {
    localStorage.setItem(SPEAKER_CHOICE_KEY, 'headphones-left-at-home');
    const settings = await render();
    expect(await settings.getChosen('Speaker')).toBe('Browser default');
    expect(localStorage.getItem(SPEAKER_CHOICE_KEY)).toBe('headphones-left-at-home');
  });
});

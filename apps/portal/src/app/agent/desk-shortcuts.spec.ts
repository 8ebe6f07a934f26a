import { DESK_SHORTCUTS, deskActionFor, type ShortcutKey } from './desk-shortcuts';

function press(patch: Partial<ShortcutKey>): ShortcutKey {
  return { key: 'a', code: 'KeyA', altKey: false, shiftKey: false, ctrlKey: false, metaKey: false, repeat: false, target: document.body, ...patch };
}

describe('deskActionFor', () => {
  it('maps Alt+Shift+letter by key position, whatever the letter typed on this layout', () => {
    expect(deskActionFor(press({ key: 'Å', code: 'KeyA', altKey: true, shiftKey: true }))).toBe('accept');
    expect(deskActionFor(press({ key: 'D', code: 'KeyD', altKey: true, shiftKey: true }))).toBe('decline');
    expect(deskActionFor(press({ key: 'M', code: 'KeyM', altKey: true, shiftKey: true }))).toBe('mute');
    expect(deskActionFor(press({ key: 'H', code: 'KeyH', altKey: true, shiftKey: true }))).toBe('hangUp');
    expect(deskActionFor(press({ key: 'V', code: 'KeyV', altKey: true, shiftKey: true }))).toBe('available');
    expect(deskActionFor(press({ key: 'W', code: 'KeyW', altKey: true, shiftKey: true }))).toBe('away');
    expect(deskActionFor(press({ key: '?', code: 'Slash', shiftKey: true }))).toBe('showShortcuts');
  });

  it('ignores single letters (screen readers use them), other modifiers, held keys and unknown letters', () => {
    expect(deskActionFor(press({ key: 'a' }))).toBeNull();
    expect(deskActionFor(press({ key: 'A', shiftKey: true }))).toBeNull();
    expect(deskActionFor(press({ altKey: true }))).toBeNull();
    expect(deskActionFor(press({ altKey: true, shiftKey: true, ctrlKey: true }))).toBeNull();
    expect(deskActionFor(press({ altKey: true, shiftKey: true, metaKey: true }))).toBeNull();
    expect(deskActionFor(press({ altKey: true, shiftKey: true, repeat: true }))).toBeNull();
    expect(deskActionFor(press({ code: 'KeyZ', altKey: true, shiftKey: true }))).toBeNull();
  });

  it('never fires while typing in a text field, but does from buttons', () => {
    const textarea = document.createElement('textarea');
    const input = document.createElement('input');
    const button = document.createElement('button');
    const checkbox = Object.assign(document.createElement('input'), { type: 'checkbox' });
    expect(deskActionFor(press({ key: '?', target: textarea }))).toBeNull();
    expect(deskActionFor(press({ altKey: true, shiftKey: true, target: input }))).toBeNull();
    expect(deskActionFor(press({ altKey: true, shiftKey: true, target: button }))).toBe('accept');
    expect(deskActionFor(press({ altKey: true, shiftKey: true, target: checkbox }))).toBe('accept');
  });

  it('lists every action once, each with distinct keys', () => {
    expect(new Set(DESK_SHORTCUTS.map((s) => s.action)).size).toBe(DESK_SHORTCUTS.length);
    expect(new Set(DESK_SHORTCUTS.map((s) => s.keys)).size).toBe(DESK_SHORTCUTS.length);
  });
});

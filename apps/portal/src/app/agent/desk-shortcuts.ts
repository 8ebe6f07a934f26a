/** What a keyboard shortcut of the agent desk does. */
export type DeskAction = 'accept' | 'decline' | 'mute' | 'hangUp' | 'available' | 'away' | 'showShortcuts';

/** One shortcut, as the "?" dialog lists it. */
export interface DeskShortcut {
  action: DeskAction;
  /** The keys, as written for people ("Alt+Shift+A"). */
  keys: string;
  /** What it does. */
  description: string;
  /** `KeyboardEvent.code` of the letter pressed with Alt+Shift (null for "?"). */
  code: string | null;
}

/**
 * The agent desk's shortcuts. Alt+Shift+letter, matched by the key's position (`code`), so
 * they work on any keyboard layout, type no character, and leave alone the single keys and
 * Insert/Caps Lock combinations that screen readers use. None fires while the focus is in a
 * text field, so typing notes is never taken for a command. "?" lists them.
 */
export const DESK_SHORTCUTS: readonly DeskShortcut[] = [
  { action: 'accept', keys: 'Alt+Shift+A', description: 'Accept the incoming call', code: 'KeyA' },
  { action: 'decline', keys: 'Alt+Shift+D', description: 'Decline the incoming call', code: 'KeyD' },
  { action: 'mute', keys: 'Alt+Shift+M', description: 'Mute or unmute the microphone', code: 'KeyM' },
  { action: 'hangUp', keys: 'Alt+Shift+H', description: 'Hang up', code: 'KeyH' },
  { action: 'available', keys: 'Alt+Shift+V', description: 'Go Available (also back from Missed)', code: 'KeyV' },
  { action: 'away', keys: 'Alt+Shift+W', description: 'Go Away', code: 'KeyW' },
  { action: 'showShortcuts', keys: '?', description: 'Show these shortcuts', code: null },
];

/** The subset of a `KeyboardEvent` that {@link deskActionFor} reads. */
export type ShortcutKey = Pick<KeyboardEvent, 'key' | 'code' | 'altKey' | 'shiftKey' | 'ctrlKey' | 'metaKey' | 'repeat'> & {
  target: EventTarget | null;
};

/** The desk action of a key press, or null (not a shortcut, a held key, or typing in a field). */
export function deskActionFor(event: ShortcutKey): DeskAction | null {
  if (event.repeat || event.ctrlKey || event.metaKey || isTextField(event.target)) return null;
  if (event.key === '?' && !event.altKey) return 'showShortcuts';
  if (!event.altKey || !event.shiftKey) return null;
  return DESK_SHORTCUTS.find((s) => s.code === event.code)?.action ?? null;
}

/** Whether the element takes typed text (inputs, text areas, selects, editable content). */
function isTextField(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false;
  const element = target as HTMLElement;
  if (element.isContentEditable) return true;
  const tag = element.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag !== 'input') return false;
  const type = (element as HTMLInputElement).type;
  return !['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file', 'image'].includes(type);
}

import { callIdSchema } from '@switchboard/call-domain/schemas';
import { newCallId } from './time-ordered-ids';

describe('newCallId', () => {
  it('makes ids that sort in the order they were made, within a millisecond too', () => {
    const made = Array.from({ length: 10_000 }, () => newCallId());
    expect(new Set(made).size).toBe(made.length);
    expect([...made].sort()).toEqual(made);
  });

  it('makes UUIDs of version 7 that the socket protocol accepts as call ids', () => {
    const id = newCallId();
    expect(callIdSchema.parse(id)).toBe(id);
    expect(id[14]).toBe('7');
  });

  it('starts with the time it was made, in milliseconds', () => {
    const before = Date.now();
    const id = newCallId();
    const at = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });
});

import { createHmac } from 'node:crypto';
import { callAppPerSpec, type TestClient } from './call-clients';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an asymmetric matcher stands in for any ack type
const refused = (code: string): any => jasmine.objectContaining({ ok: false, error: { code, message: jasmine.any(String) } });

const TURN_SECRET = 'a-shared-secret-of-the-turn-servers';
const ICE_ENV = {
  STUN_URLS: 'stun:stun.example.org:3478',
  TURN_URLS: 'turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349?transport=tcp',
  TURN_SECRET,
  TURN_CREDENTIAL_TTL: '10m',
  ICE_TRANSPORT_POLICY: 'relay',
};

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`ICE servers for a call's parties [${dialect}] (e2e)`, () => {
    const harness = callAppPerSpec(dialect, ICE_ENV);

    async function ringing(): Promise<{ student: TestClient; agent: TestClient; callId: string }> {
      const agent = await harness.connect('agent');
      await agent.ok('setAvailability', { state: 'available' });
      const student = await harness.connect('student');
      const { callId } = await student.ok('requestCall', {});
      await agent.next('callOffered');
      return { student, agent, callId };
    }

    it('gives the caller and the agent it rings for STUN, TURN with a credential coturn accepts, and the relay policy', async () => {
      const { student, agent, callId } = await ringing();
      for (const party of [student, agent]) {
        const before = Math.floor(Date.now() / 1000);
        const ice = await party.ok('getIceServers', { callId });
        expect(ice.iceTransportPolicy).toBe('relay');
        expect(ice.iceServers[0]).toEqual({ urls: ['stun:stun.example.org:3478'] });
        const turn = ice.iceServers[1];
        expect(turn.urls).toEqual(['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349?transport=tcp']);
        // coturn's REST scheme: "<expiry>:<user>", and the base64 HMAC-SHA1 of it with the shared secret.
        const [expiry, user] = (turn.username ?? '').split(':');
        expect(user).toBe(party.userId);
        expect(Number(expiry) - before).toBeGreaterThanOrEqual(600);
        expect(Number(expiry) - before).toBeLessThanOrEqual(601);
        expect(turn.credential).toBe(createHmac('sha1', TURN_SECRET).update(turn.username ?? '').digest('base64'));
        expect(Date.parse(ice.expiresAt ?? '')).toBe(Number(expiry) * 1000);
        expect(JSON.stringify(ice)).not.toContain(TURN_SECRET);
      }
    });

    it('refuses anyone who is not a party of the call, and everyone once it is over', async () => {
      const { student, agent, callId } = await ringing();
      const otherAgent = await harness.connect('agent2');
      const otherStudent = await harness.connect('student2');
      const supervisor = await harness.connect('supervisor');
      expect(await otherAgent.send('getIceServers', { callId })).toEqual(refused('forbidden'));
      expect(await otherStudent.send('getIceServers', { callId })).toEqual(refused('forbidden'));
      expect(await supervisor.send('getIceServers', { callId })).toEqual(refused('forbidden'));
      expect(await student.send('getIceServers', { callId: crypto.randomUUID() })).toEqual(refused('forbidden'));
      expect(await student.send('getIceServers', { callId: 'not-a-uuid' })).toEqual(refused('bad_request'));
      expect(await student.send('getIceServers', {})).toEqual(refused('bad_request'));

      await agent.ok('acceptCall', { callId });
      expect((await agent.ok('getIceServers', { callId })).iceServers.length).toBe(2);
      expect(await otherAgent.send('getIceServers', { callId })).toEqual(refused('forbidden'));

      await student.ok('hangUp', { callId });
      expect(await student.send('getIceServers', { callId })).toEqual(refused('invalid_state'));
      expect(await agent.send('getIceServers', { callId })).toEqual(refused('invalid_state'));
    });
  });
}

describe('ICE servers with none configured (e2e)', () => {
  const harness = callAppPerSpec('sqlite');

  it('gives no ICE servers and the "all" policy: calls connect on one network, as before', async () => {
    const agent = await harness.connect('agent');
    await agent.ok('setAvailability', { state: 'available' });
    const student = await harness.connect('student');
    const { callId } = await student.ok('requestCall', {});
    expect(await student.ok('getIceServers', { callId })).toEqual({ iceServers: [], iceTransportPolicy: 'all', expiresAt: null });
  });
});

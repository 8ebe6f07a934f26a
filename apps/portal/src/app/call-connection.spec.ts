import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import type { AgentStatus } from '@switchboard/call-domain';
import { SIGNALING_SOCKET_FACTORY, SignalingClient } from '@switchboard/call-domain/signaling';
import { FakeRelay, FakeSocket } from '@switchboard/call-domain/signaling/testing';
import { filter, firstValueFrom } from 'rxjs';
import { AgentDesk } from './agent/agent-desk';
import { provideCallConnection } from './app.config';
import { LOGIN_URL, Session } from './auth/session';
import { fakeAccessToken, fakeUser, storeFakeSession } from './auth/testing/session-fakes';

const agentStatus: AgentStatus = {
  agentId: 'u-agent',
  displayName: 'Ada Agent',
  state: 'available',
  since: new Date().toISOString(),
  connected: true,
  callId: null,
  wrapUpEndsAt: null,
};

describe('provideCallConnection', () => {
  let tokens: (string | null)[];
  let sockets: FakeSocket[];

  beforeEach(() => {
    localStorage.clear();
    tokens = [];
    sockets = [];
    const relay = new FakeRelay();
    TestBed.configureTestingModule({
      providers: [
        provideRouter([{ path: '**', children: [] }]),
        provideHttpClient(),
        provideHttpClientTesting(),
        provideCallConnection(),
        {
          provide: SIGNALING_SOCKET_FACTORY,
          useValue: (token: () => string | null) => {
            tokens.push(token());
            const socket = relay.createSocket(token);
            sockets.push(socket as unknown as FakeSocket);
            // As the server does: the agent's status once, right after the connection.
            socket.on('connect', () => relay.push(token() ?? '', 'agentStatusChanged', agentStatus));
            return socket;
          },
        },
      ],
    });
  });
  afterEach(() => localStorage.clear());

  /** Waits until `condition` holds (the fake relay and the router answer asynchronously). */
  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  const state = (wanted: string) =>
    firstValueFrom(TestBed.inject(SignalingClient).connectionState$.pipe(filter((s) => s === wanted)));

  it("connects with the session's token after sign-in (a kept session) and disconnects on sign-out", async () => {
    const { accessToken } = storeFakeSession('student');
    TestBed.tick();
    await state('connected');
    expect(tokens).toEqual([accessToken]);
    await TestBed.inject(Session).signOut();
    await state('disconnected');
  });

  it("creates an agent's desk before the socket opens, so the status sent on connection is heard", async () => {
    storeFakeSession('agent');
    TestBed.tick();
    await state('connected');
    const desk = TestBed.inject(AgentDesk);
    await until(() => desk.status() !== null);
    expect(desk.status()?.state).toBe('available');
  });

  it('signs out to the sign-in page with the expiry message when the server closes the socket (token expired)', async () => {
    storeFakeSession('student');
    TestBed.tick();
    await state('connected');
    // A network drop is not a refusal: the session stays.
    sockets[0].receive('disconnect', 'transport close');
    // The socket comes back after the drop: a refusal would have signed out before that.
    sockets[0].receive('connect');
    await state('connected');
    expect(TestBed.inject(Session).user()).not.toBeNull();
    expect(TestBed.inject(Router).url).not.toContain('/login');
    // What socket.io reports when the server closes the socket at the token's expiry.
    sockets[0].receive('disconnect', 'io server disconnect');
    await until(() => TestBed.inject(Router).url !== '/');
    expect(TestBed.inject(Session).user()).toBeNull();
    expect(TestBed.inject(Router).url).toBe('/login?expired=1');
  });

  it('stays disconnected while signed out, and connects once signed in', async () => {
    TestBed.tick();
    expect(TestBed.inject(SignalingClient).connected()).toBeFalse();
    // Signing in is what must come later: the first socket it opens carries the session's token.
    const user = fakeUser('student');
    const accessToken = fakeAccessToken(user);
    const signedIn = TestBed.inject(Session).signIn({ username: user.username, password: 'longenough' });
    TestBed.inject(HttpTestingController).expectOne(LOGIN_URL).flush({ accessToken, user });
    await signedIn;
    TestBed.tick();
    await state('connected');
    expect(tokens).toEqual([accessToken]);
  });
});

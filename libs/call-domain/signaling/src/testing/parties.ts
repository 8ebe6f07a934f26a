import { EnvironmentInjector, type Provider, createEnvironmentInjector } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { SignalingClient } from '../signaling-client';
import { SIGNALING_AUTH } from '../signaling-auth';
import { DEFAULT_SIGNALING_OPTIONS, SIGNALING_OPTIONS, SIGNALING_SOCKET_FACTORY, type SignalingOptions } from '../signaling-socket';
import { Softphone } from '../softphone';
import type { FakeRelay } from './fake-relay';

/** One signed-in user in a test: their own client and softphone, as in their own tab. */
export interface TestParty {
  client: SignalingClient;
  phone: Softphone;
  injector: EnvironmentInjector;
}

/**
 * Creates a user connected to `relay` with `token`, in an injector of their own so that
 * several users share one test page. Destroy `injector` to sign them out.
 */
export function createParty(
  relay: FakeRelay,
  token: string,
  options: Partial<SignalingOptions> = {},
  providers: Provider[] = [],
): TestParty {
  const injector = createEnvironmentInjector(
    [
      SignalingClient,
      Softphone,
      { provide: SIGNALING_AUTH, useValue: () => token },
      { provide: SIGNALING_SOCKET_FACTORY, useValue: relay.createSocket },
      { provide: SIGNALING_OPTIONS, useValue: { ...DEFAULT_SIGNALING_OPTIONS, ...options } },
      ...providers,
    ],
    TestBed.inject(EnvironmentInjector),
  );
  return { client: injector.get(SignalingClient), phone: injector.get(Softphone), injector };
}

import { provideHttpClient, withInterceptors } from '@angular/common/http';
import {
  ApplicationConfig,
  DestroyRef,
  EnvironmentInjector,
  type EnvironmentProviders,
  effect,
  inject,
  makeEnvironmentProviders,
  provideBrowserGlobalErrorListeners,
  provideEnvironmentInitializer,
  provideZonelessChangeDetection,
  untracked,
} from '@angular/core';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { SIGNALING_AUTH } from '@switchboard/call-domain/signaling/auth';
import { MICROPHONE } from '@switchboard/call-domain/signaling/microphone';
import { routes } from './app.routes';
import { authInterceptor } from './auth/auth-interceptor';
import { Session } from './auth/session';
import { AudioDevices } from './devices/audio-devices';

/**
 * The call socket follows the session: the signed-in user's token authenticates it, it
 * connects after sign-in (and after a reload with a kept session), reconnects for a new
 * user, and disconnects on sign-out. Calls open the microphone chosen in this browser
 * (`AudioDevices`). The signaling library (and socket.io-client under it)
 * is imported on first sign-in, so the sign-in page's initial bundle does not carry it.
 */
export function provideCallConnection(): EnvironmentProviders {
  return makeEnvironmentProviders([
    {
      provide: SIGNALING_AUTH,
      useFactory: () => {
        const session = inject(Session);
        return () => session.token();
      },
    },
    {
      provide: MICROPHONE,
      useFactory: () => {
        const devices = inject(AudioDevices);
        return () => devices.openMicrophone();
      },
    },
    provideEnvironmentInitializer(() => {
      const session = inject(Session);
      const injector = inject(EnvironmentInjector);
      // The library loads asynchronously: an app torn down meanwhile (a test's) has nothing to follow.
      let destroyed = false;
      inject(DestroyRef).onDestroy(() => (destroyed = true));
      let connectedWith: string | null = null;
      effect(() => {
        const token = session.token();
        if (token === connectedWith) return;
        const previous = connectedWith;
        connectedWith = token;
        // Nothing to close if the library was never needed; otherwise the promise chain
        // keeps disconnect/connect in the order the session changed.
        if (!token && !previous) return;
        const user = untracked(session.user);
        void import('./call-connection').then(({ followSession }) => destroyed || followSession(injector, user));
      });
    }),
  ]);
}

/** The portal's providers: zoneless change detection, the router, HTTP with the session's token, and the call socket. */
export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZonelessChangeDetection(),
    provideRouter(routes, withComponentInputBinding()),
    provideHttpClient(withInterceptors([authInterceptor])),
    provideCallConnection(),
  ],
};

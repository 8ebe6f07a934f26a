/**
 * The Socket.IO types, still exported here for the modules that import them from this path.
 * There is no connections gateway any more: `CallGateway` opens the endpoint and
 * `AuthenticatedIoAdapter` logs connections. New code imports from `./app-socket`.
 *
 * @deprecated import `AppServer` / `AppSocket` from `realtime/app-socket`.
 */
export type { AppServer, AppSocket } from './app-socket';

import { Module } from '@nestjs/common';

/**
 * Nothing to provide: the Socket.IO endpoint is opened by `CallGateway` and authenticated,
 * rate-limited and logged by `AuthenticatedIoAdapter` (`auth/socket-auth.ts`). Kept so the
 * root module's imports do not change; it can be dropped from `AppModule`.
 */
@Module({})
export class RealtimeModule {}

import { Module } from '@nestjs/common';
import { ConnectionsGateway } from './connections.gateway';

/** The Socket.IO endpoint (authenticated by `AuthenticatedIoAdapter`). */
@Module({ providers: [ConnectionsGateway] })
export class RealtimeModule {}

import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { CallId, IceServer, IceServers, SessionUser } from '@switchboard/call-domain';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';
import { ProblemException } from '../errors/problem';
import { CallRecords } from './call-records';

/**
 * A TURN credential in coturn's REST scheme (`use-auth-secret` + `static-auth-secret`, the
 * "TURN REST API" draft): the username is `<expiry in Unix seconds>:<user id>` and the
 * password the base64 HMAC-SHA1 of that username keyed with the shared secret. The TURN
 * server recomputes it, so nothing is stored, and refuses it once the expiry has passed.
 */
export function turnCredential(secret: string, userId: string, expiresAtSeconds: number): { username: string; credential: string } {
  const username = `${expiresAtSeconds}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/**
 * Hands each party of a call the ICE servers for its peer connections: the configured STUN
 * URLs, and the TURN URLs with a credential of `TURN_CREDENTIAL_TTL` made for this user. Only
 * the parties of a call that is not over get them — its caller, the agent it rings for, the
 * agent who took it — so a TURN relay cannot be had without a call to relay.
 */
@Injectable()
export class IceCredentials {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly records: CallRecords,
  ) {}

  /** The ICE servers for `user`'s peer connections of `callId`; `forbidden` for anyone else. */
  async forCall(user: SessionUser, callId: CallId, now = Date.now()): Promise<IceServers> {
    const call = await this.records.get(callId);
    const party = call !== undefined && [call.caller_id, call.ringing_agent_id, call.agent_id].includes(user.id);
    if (!call || !party) throw new ProblemException('forbidden', 'Only the parties of a call get its ICE servers');
    if (call.state === 'ended') throw new ProblemException('invalid_state', 'The call has ended');
    return this.issue(user.id, now);
  }

  private issue(userId: string, now: number): IceServers {
    const { stunUrls, turnUrls, turnSecret, turnCredentialTtlSeconds, transportPolicy } = this.config.ice;
    const iceServers: IceServer[] = [];
    if (stunUrls.length > 0) iceServers.push({ urls: stunUrls });
    let expiresAt: string | null = null;
    if (turnUrls.length > 0 && turnSecret !== null) {
      const expiresAtSeconds = Math.floor(now / 1000) + turnCredentialTtlSeconds;
      iceServers.push({ urls: turnUrls, ...turnCredential(turnSecret, userId, expiresAtSeconds) });
      expiresAt = new Date(expiresAtSeconds * 1000).toISOString();
    }
    return { iceServers, iceTransportPolicy: transportPolicy, expiresAt };
  }
}

import { createHmac } from 'node:crypto';
import type { VideoGrant } from 'livekit-server-sdk';

/**
 * How far back a RoomService token's `nbf` is dated. LiveKit checks `nbf` and `exp` on its own
 * clock with 60 s of leeway; the SDK's `nbf` is "now", so a LiveKit server whose clock runs more
 * than a minute behind ours would refuse every call (401) and no pass could verify anything. Dated
 * back, a token stays valid there for clocks up to 6 minutes behind; `exp` (10 minutes ahead, the
 * SDK's TTL) covers clocks ahead. The token still proves the secret and lives 15 minutes.
 */
export const API_TOKEN_NOT_BEFORE_SKEW_S = 5 * 60;
/** The SDK's RoomService token lifetime (`ServiceBase` ttl `10m`). */
export const API_TOKEN_TTL_S = 10 * 60;

/**
 * A RoomService access token as the SDK's `AccessToken.toJwt` makes it (HS256, `iss` = API key,
 * the grant under `video`, `exp`), with `nbf` dated back by API_TOKEN_NOT_BEFORE_SKEW_S.
 */
export function signApiToken(input: {
  apiKey: string;
  apiSecret: string;
  grant: VideoGrant;
  nowMs: number;
}): string {
  const nowS = Math.floor(input.nowMs / 1000);
  const header = { alg: 'HS256' };
  const claims = {
    video: input.grant,
    iss: input.apiKey,
    exp: nowS + API_TOKEN_TTL_S,
    nbf: nowS - API_TOKEN_NOT_BEFORE_SKEW_S,
  };
  const part = (v: object) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
  const signingInput = `${part(header)}.${part(claims)}`;
  const signature = createHmac('sha256', input.apiSecret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

import { createHash, createHmac } from 'node:crypto';

/** Token lifetime LiveKit uses for webhook JWTs (`SetValidFor(5*time.Minute)`). */
export const WEBHOOK_TOKEN_TTL_SECONDS = 5 * 60;

export interface SignedWebhook {
  /** base64 (standard alphabet, padded) of SHA-256 over the exact body bytes; never hex. */
  sha256: string;
  /** The raw JWT sent as `Authorization`, with no `Bearer ` prefix. */
  token: string;
}

const base64Url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

/**
 * Signs a webhook body the way protocol `webhook/resource_url_notifier.go` does: HS256 with the
 * API secret, header `{"alg":"HS256","typ":"JWT"}`, claims in Go struct order
 * `iss, exp, nbf, iat, sha256`, `nbf = iat`, `exp = iat + 300`.
 */
export function signWebhook(input: {
  apiKey: string;
  apiSecret: string;
  body: string;
  iatSeconds: number;
}): SignedWebhook {
  const sha256 = createHash('sha256').update(input.body, 'utf8').digest('base64');
  const header = JSON.stringify({ alg: 'HS256', typ: 'JWT' });
  const payload = JSON.stringify({
    iss: input.apiKey,
    exp: input.iatSeconds + WEBHOOK_TOKEN_TTL_SECONDS,
    nbf: input.iatSeconds,
    iat: input.iatSeconds,
    sha256,
  });
  const signingInput = `${base64Url(header)}.${base64Url(payload)}`;
  const signature = createHmac('sha256', input.apiSecret).update(signingInput).digest('base64url');
  return { sha256, token: `${signingInput}.${signature}` };
}

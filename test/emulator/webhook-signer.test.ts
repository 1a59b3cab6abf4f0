import { readFileSync } from 'node:fs';
import { WebhookReceiver } from 'livekit-server-sdk';
import { describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/emulator/index.js';

interface Vector {
  name: string;
  apiKey: string;
  apiSecret: string;
  iat: number;
  body: string;
  sha256: string;
  token: string;
  payload: string;
}

const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/livekit-webhook-vectors.json', import.meta.url), 'utf8'),
) as Vector[];

describe('signWebhook', () => {
  it('has test vectors to check against', () => {
    expect(vectors.map((v) => v.name)).toEqual([
      'upstream-node-sdk-room_started',
      'derived-participant_joined',
      'derived-participant_left',
    ]);
  });

  for (const v of vectors) {
    it(`reproduces vector ${v.name} byte for byte`, () => {
      const signed = signWebhook({
        apiKey: v.apiKey,
        apiSecret: v.apiSecret,
        body: v.body,
        iatSeconds: v.iat,
      });
      expect(signed.sha256).toBe(v.sha256);
      expect(signed.token).toBe(v.token);
      const payload = Buffer.from(signed.token.split('.')[1] ?? '', 'base64url').toString('utf8');
      expect(payload).toBe(v.payload);
    });

    it(`produces a token for ${v.name} that the SDK receiver accepts`, async () => {
      const signed = signWebhook({
        apiKey: v.apiKey,
        apiSecret: v.apiSecret,
        body: v.body,
        iatSeconds: v.iat,
      });
      const receiver = new WebhookReceiver(v.apiKey, v.apiSecret);
      const event = await receiver.receive(v.body, signed.token, false, '100y');
      expect(event.event).toBe(JSON.parse(v.body).event);
      await expect(receiver.receive(`${v.body} `, signed.token, false, '100y')).rejects.toThrow(
        'sha256 checksum of body does not match',
      );
    });
  }
});

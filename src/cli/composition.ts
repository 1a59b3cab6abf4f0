import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { LiveKitTarget, Runtime } from '../service/index.js';

/** What the commands need from the composition root, handed in by `main.ts` (no import cycle). */
export interface Composition {
  version: string;
  devApiKey: string;
  devApiSecret: string;
  createRuntime(opts: {
    config: Config;
    logger: Logger;
    livekit: LiveKitTarget;
    migrate?: boolean;
    processMetrics?: boolean;
  }): Promise<Runtime>;
  buildRuntimeApp(rt: Runtime, apiToken: string): Promise<FastifyInstance>;
}

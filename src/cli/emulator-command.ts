import { Option, type Command } from 'commander';
import { startEmulatorServer } from '../emulator/index.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerEmulatorCommand(program: Command, _exit: { code: number }): void {
  program
    .command('emulator')
    .description(
      "run the LiveKit emulator standalone (livekit-server --dev's defaults), for your own tests",
    )
    .addOption(new Option('--port <port>', 'port').default('7880'))
    .addOption(new Option('--host <host>', 'address to bind').default('127.0.0.1'))
    .addOption(new Option('--api-key <key>', 'API key').default('devkey'))
    .addOption(new Option('--api-secret <secret>', 'API secret').default('secret'))
    .option('--webhook <url>', 'send webhooks to this URL (repeatable)', collect, [])
    .action(
      async (opts: {
        port: string;
        host: string;
        apiKey: string;
        apiSecret: string;
        webhook: string[];
      }) => {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new Error(`--port must be an integer 0–65535, got "${opts.port}"`);
        }
        for (const url of opts.webhook) {
          if (!/^https?:\/\//.test(url))
            throw new Error(`--webhook must be an http(s) URL, got "${url}"`);
        }
        const server = await startEmulatorServer({
          port,
          host: opts.host,
          apiKey: opts.apiKey,
          apiSecret: opts.apiSecret,
          webhookUrls: opts.webhook,
        });
        console.log(`LiveKit emulator listening on ${server.url} (API key ${opts.apiKey})`);
        console.log(
          opts.webhook.length > 0
            ? `webhooks to: ${opts.webhook.join(', ')}`
            : 'no webhook URL (use --webhook URL)',
        );
        await new Promise<void>((resolve) => {
          const stop = () => void server.close().then(resolve);
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
      },
    );
}

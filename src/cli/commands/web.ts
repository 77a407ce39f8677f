import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '../../core/errors.js';
import { packageRoot } from '../../models/embedded.js';
import { createWebServer } from '../../web/server.js';
import { parseInteger } from '../parse.js';

export interface WebFlags {
  port: string;
  host: string;
  allowRemote?: boolean;
}

/** 127.0.0.0/8, ::1 and "localhost": the machine itself. */
export function isLoopback(host: string): boolean {
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return (
    host === 'localhost' || host === '::1' || (m !== null && m.slice(1).every((o) => +o <= 255))
  );
}

function isIPv4(host: string): boolean {
  const parts = host.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && +p <= 255);
}

/** Check the flags before anything is opened. */
export function prepareWeb(flags: WebFlags) {
  const port = parseInteger(flags.port, '--port', 0, 65535);
  if (/^[\d.]+$/.test(flags.host) && !isIPv4(flags.host)) {
    throw new InvalidOptionError(`--host ${flags.host} is not an IPv4 address (octets 0–255)`);
  }
  if (!isLoopback(flags.host) && !flags.allowRemote) {
    throw new InvalidOptionError(
      `--host ${flags.host} would open the page to other machines; add --allow-remote to do so`,
    );
  }
  const root = packageRoot();
  const page = join(root, 'dist', 'web');
  if (!existsSync(join(page, 'index.html'))) {
    throw new InvalidOptionError(`the page is not built (${page}): run npm run build`);
  }
  // onnxruntime-web's node entry sits in its dist/ folder, next to the .wasm files.
  const ort = dirname(fileURLToPath(import.meta.resolve('onnxruntime-web')));
  return {
    port,
    host: flags.host,
    index: join(page, 'index.html'),
    mounts: {
      '/app/': page,
      '/ort/': ort,
      '/models/': join(root, 'models'),
      // Problem files name their networks relative to themselves (../models/…).
      '/bench/problems/': join(root, 'bench', 'problems'),
      '/bench/models/': join(root, 'bench', 'models'),
    },
  };
}

export function webCommand(): Command {
  return new Command('web')
    .option('--port <n>', 'port (0 = any free one)', '8765')
    .option('--host <address>', 'interface to listen on', '127.0.0.1')
    .option('--allow-remote', 'allow a --host other than the loopback interface')
    .action(async (flags: WebFlags) => {
      const p = prepareWeb(flags);
      const server = createWebServer(p.mounts, p.index);
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => {
          const why =
            err.code === 'EADDRINUSE'
              ? `port ${p.port} is in use (give another --port, or 0 for any free one)`
              : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND'
                ? `${p.host} is not an address of this machine`
                : err.code === 'EACCES'
                  ? `port ${p.port} needs privileges (use a port above 1023)`
                  : err.message;
          reject(new InvalidOptionError(`cannot listen on ${p.host}:${p.port}: ${why}`));
        });
        server.listen(p.port, p.host, resolve);
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : p.port;
      const host = p.host.includes(':') ? `[${p.host}]` : p.host;
      process.stdout.write(`serving http://${host}:${port}/ (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => process.once('SIGINT', resolve));
      server.close();
    });
}

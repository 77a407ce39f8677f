/**
 * For the end-to-end tests: `diffier web` started as a user starts it, and Debian's
 * Chromium driven headless by playwright-core (no browser download). Without
 * /usr/bin/chromium the tests are skipped, except under CI, where they must run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { packageRoot } from '../../src/models/embedded.js';
import { CLI } from './cli.js';

export const CHROMIUM = '/usr/bin/chromium';

/** A reason to skip, or false when the browser tests must run. */
export function browserSkip(): string | false {
  if (existsSync(CHROMIUM) || process.env.CI) return false;
  return `${CHROMIUM} is absent (apt-get install chromium); browser tests skipped`;
}

/** Where screenshots go (gitignored); created on demand. */
export async function artifactsDir(): Promise<string> {
  const dir = join(packageRoot(), 'test-artifacts', 'web');
  await mkdir(dir, { recursive: true });
  return dir;
}

export interface WebServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** `diffier web --port 0` in a child process; resolves with the URL it prints. */
export function startWebServer(extra: string[] = []): Promise<WebServer> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'web', '--port', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /serving (http:\/\/\S+)/.exec(output);
      if (m) {
        resolve({
          url: m[1],
          stop: () =>
            new Promise<void>((done) => {
              child.once('exit', () => done());
              child.kill('SIGINT');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`diffier web exited (${code}): ${output}`)));
  });
}

export interface Chromium {
  readonly browser: Browser;
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Headless Chromium; playwright gives each launch a fresh temporary profile. Without the
 * background-networking flags Chromium stalls on a closed network.
 */
export async function launchChromium(opts: { webgpu?: boolean } = {}): Promise<Chromium> {
  // webgpu: a WebGPU adapter on SwiftShader (Chromium's CPU Vulkan), so the page's WebGPU
  // path runs on a machine without a GPU.
  const gpu = opts.webgpu
    ? [
        '--enable-unsafe-webgpu',
        '--enable-features=Vulkan',
        '--use-angle=swiftshader',
        '--use-webgpu-adapter=swiftshader',
      ]
    : ['--disable-gpu'];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      ...gpu,
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ acceptDownloads: true });
  return {
    browser,
    context,
    close: () => browser.close(),
  };
}

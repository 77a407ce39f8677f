/**
 * `diffier web` without a browser: what it serves (types, folders, nothing outside its
 * mounts) and the loopback-only default.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isLoopback, prepareWeb } from '../src/cli/commands/web.js';
import { InvalidOptionError } from '../src/core/errors.js';
import { createWebServer, locate } from '../src/web/server.js';
import { cli } from './helpers/cli.js';
import { ROOT } from './helpers/t2iFixtures.js';

describe('web server', () => {
  const p = prepareWeb({ port: '0', host: '127.0.0.1' });
  const server = createWebServer(p.mounts, p.index);
  let base: string;

  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('serves the page, the WebAssembly runtime and the model with their types', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
    const wasm = await fetch(`${base}/ort/ort-wasm-simd-threaded.jsep.wasm`, { method: 'HEAD' });
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    const unet = await fetch(`${base}/models/mnist-t2i/unet/model.onnx`, { method: 'HEAD' });
    assert.equal(unet.headers.get('x-diffier-kind'), 'file');
  });

  it('lists a folder and marks it as one', async () => {
    const res = await fetch(`${base}/models/mnist-t2i`);
    assert.equal(res.headers.get('x-diffier-kind'), 'dir');
    assert.ok(((await res.json()) as string[]).includes('model_index.json'));
  });

  it('says what a path is on ?kind, absent ones included, without a 404', async () => {
    for (const [path, kind] of [
      ['/models/mnist-t2i', 'dir'],
      ['/models/mnist-t2i/unet/model.onnx', 'file'],
      ['/models/mnist-t2i/vae_decoder', null],
      ['/models/../package.json', null],
    ] as const) {
      const res = await fetch(`${base}${path}?kind`);
      assert.equal(res.status, 200, path);
      assert.deepEqual(await res.json(), { kind }, path);
    }
  });

  it('answers 404 outside its folders, ".." included', async () => {
    for (const path of [
      '/package.json',
      '/models/../package.json',
      '/models/%2e%2e/package.json',
    ]) {
      assert.equal((await fetch(`${base}${path}`)).status, 404, path);
    }
    assert.equal(
      locate({ '/models/': join(ROOT, 'models') }, '/models/%2e%2e/package.json'),
      undefined,
    );
  });

  it('refuses other methods', async () => {
    assert.equal((await fetch(`${base}/`, { method: 'POST' })).status, 405);
  });
});

describe('diffier web flags', () => {
  it('listens on loopback only unless --allow-remote', async () => {
    assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost'));
    assert.ok(!isLoopback('0.0.0.0') && !isLoopback('192.168.1.2'));
    assert.throws(() => prepareWeb({ port: '0', host: '0.0.0.0' }), InvalidOptionError);
    assert.equal(prepareWeb({ port: '0', host: '0.0.0.0', allowRemote: true }).host, '0.0.0.0');
    const r = await cli(['web', '--host', '0.0.0.0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^diffier: error \[\w+\]: .*--allow-remote.*\n$/);
  });

  it('rejects a bad port', () => {
    assert.throws(
      () => prepareWeb({ port: '70000', host: '127.0.0.1' }),
      /--port must be an integer/,
    );
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWasmModule } from '../ts/backend/wasm/loader';

// Dev servers (Vite's among them) answer a missing file with their index page and status 200.
describe('loading wasm from a server that sends an HTML page instead', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>app</title>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('says the file is not served there, naming the build and the URL', async () => {
    const url = `${base}assets/ferrite-ml-simd.wasm`;
    await expect(loadWasmModule('simd', { url })).rejects.toThrow(
      `cannot load the 'simd' WebAssembly build from ${url}: the server sent an HTML page, not the .wasm file`,
    );
  });
});

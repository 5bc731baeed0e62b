// A helper thread of ferrite's worker pool (Node worker_threads or a browser module worker).
// Plain JavaScript with no imports, so that it runs as is from the sources, from dist/, and
// through bundlers. The pool (pool.ts) sends one message:
//   { module, memory, id, epoch, stackTop, tls }
// The helper instantiates the threaded wasm module on the shared memory, gives the instance
// its own stack and thread-local storage, says 'ready', then parks in ferrite_worker_run,
// which runs tasks until the pool stops. Replies: { type: 'ready' | 'error' | 'failed' |
// 'exited', message? }.

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string'
  && typeof WorkerGlobalScope === 'undefined';

let post = (msg) => globalThis.postMessage(msg);

function errorText(err) {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function start(msg) {
  let x;
  try {
    const instance = new WebAssembly.Instance(msg.module, { env: { memory: msg.memory } });
    x = instance.exports;
    // Own stack (grows down from stackTop) and own TLS block, before any other call.
    x.__stack_pointer.value = msg.stackTop;
    x.__wasm_init_tls(msg.tls);
  } catch (err) {
    post({ type: 'error', message: errorText(err) });
    return;
  }
  post({ type: 'ready' });
  try {
    x.ferrite_worker_run(msg.id, msg.epoch);
    post({ type: 'exited' });
  } catch (err) {
    // A task trapped here: leave the message where the caller reads it, then release the
    // job (the caller's call fails; the pool restarts its helpers).
    const message = errorText(err);
    try {
      const at = x.ferrite_threads_error_area();
      const bytes = new TextEncoder().encode(message).slice(0, 255);
      const area = new Uint8Array(msg.memory.buffer, at, 256);
      area.fill(0);
      area.set(bytes);
      x.ferrite_worker_failed();
    } finally {
      post({ type: 'failed', message });
    }
  }
}

if (isNode) {
  // A variable specifier: bundlers for the browser must not try to resolve it.
  const builtin = 'node:worker_threads';
  import(/* webpackIgnore: true */ /* @vite-ignore */ builtin).then(({ parentPort }) => {
    post = (msg) => parentPort.postMessage(msg);
    parentPort.once('message', start);
  });
} else {
  globalThis.addEventListener('message', (e) => start(e.data), { once: true });
}

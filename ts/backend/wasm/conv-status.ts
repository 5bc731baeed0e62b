/** Turns the status codes of the wasm convolution and pooling kernels into clear errors. */

export function convStatus(op: string, code: number, memory: WebAssembly.Memory): void {
  if (code === 0) return;
  if (code === -2) {
    throw new Error(
      `ferrite: ${op}: out of WebAssembly memory for a convolution scratch buffer (heap is ${(memory.buffer.byteLength / 2 ** 20).toFixed(1)} MB)`);
  }
  throw new Error(`ferrite: ${op}: the kernel rejected the geometry (status ${code})`);
}

/** Typed views of js-backend storages, with the checks the backend's own methods make. */
import type { Storage } from '../backend';

interface JsLike {
  size: number;
  freed?: boolean;
  f32?: Float32Array;
  i32?: Int32Array;
}

function check(s: Storage, n: number, what: string): JsLike {
  const j = s as unknown as JsLike;
  if (!(j.f32 instanceof Float32Array) || !(j.i32 instanceof Int32Array)) {
    throw new Error(`ferrite js backend: ${what}: storage does not belong to the js backend`);
  }
  if (j.freed) throw new Error(`ferrite js backend: ${what}: use of a freed storage`);
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`ferrite js backend: ${what}: bad element count ${n}`);
  if (n > j.size) throw new Error(`ferrite js backend: ${what}: needs ${n} elements, the storage has ${j.size}`);
  return j;
}

/** The first n elements of a storage as float32. */
export function f32View(s: Storage, n: number, what: string): Float32Array {
  return check(s, n, what).f32!.subarray(0, n);
}

/** The first n elements of a storage as int32. */
export function i32View(s: Storage, n: number, what: string): Int32Array {
  return check(s, n, what).i32!.subarray(0, n);
}

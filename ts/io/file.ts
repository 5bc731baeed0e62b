/**
 * file:// in Node (as @tensorflow/tfjs-node): save writes <dir>/model.json and
 * <dir>/weights.bin; load reads a model.json (or a directory holding one) and the weight files
 * its manifest names, relative to it. Node's modules are imported dynamically, so the browser
 * build never reaches them.
 */
import { artifactsFromJSON, getModelArtifactsInfoForJSON, modelJSONFor, parseModelJSON } from './artifacts';
import type { IOHandler, ModelArtifacts, SaveResult } from './types';
import { joinWeightData } from './weights';

export const FILE_SCHEME = 'file://';

const isNode = () => typeof process !== 'undefined' && !!process.versions?.node;

async function nodeModules() {
  if (!isNode()) throw new Error('file:// models need Node.js; in a browser use indexeddb://, downloads:// or http(s)://');
  const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
  const path = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:path');
  return { fs, path };
}

/** A path from 'file://…' (or a plain path). */
function pathOf(url: string): string {
  const p = url.startsWith(FILE_SCHEME) ? url.slice(FILE_SCHEME.length) : url;
  if (!p) throw new Error(`file://: empty path in '${url}'`);
  return p;
}

/** The file:// handler for `url` (a directory to save into, or a model.json / directory to load). */
export function fileSystem(url: string): IOHandler {
  const target = pathOf(url);
  return {
    async save(a: ModelArtifacts): Promise<SaveResult> {
      const { fs, path } = await nodeModules();
      if (target.endsWith('.json')) {
        throw new Error(`file://: save takes a directory (it writes model.json and weights.bin there), got '${target}'`);
      }
      await fs.mkdir(target, { recursive: true });
      const weightsName = 'weights.bin';
      const json = JSON.stringify(modelJSONFor(a, [weightsName]));
      const data = a.weightData ? new Uint8Array(joinWeightData(a.weightData)) : new Uint8Array(0);
      // Write both under temporary names, then rename: a reader (or a crash) never sees a
      // model.json whose weights are half-written.
      const tmp = `.tmp-${process.pid}-${Date.now()}`;
      const wPath = path.join(target, weightsName), jPath = path.join(target, 'model.json');
      await fs.writeFile(wPath + tmp, data);
      await fs.writeFile(jPath + tmp, json);
      await fs.rename(wPath + tmp, wPath);
      await fs.rename(jPath + tmp, jPath);
      return { modelArtifactsInfo: { ...getModelArtifactsInfoForJSON(a), modelTopologyBytes: json.length } };
    },

    async load(): Promise<ModelArtifacts> {
      const { fs, path } = await nodeModules();
      let jsonPath = target;
      const st = await fs.stat(jsonPath).catch(() => null);
      if (!st) throw new Error(`file://: '${target}' does not exist`);
      if (st.isDirectory()) jsonPath = path.join(target, 'model.json');
      const text = await fs.readFile(jsonPath, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new Error(`file://: cannot read '${jsonPath}' (${e.code ?? e.message})`);
      });
      const json = parseModelJSON(text, jsonPath);
      const dir = path.dirname(jsonPath);
      return artifactsFromJSON(json, async (p) => {
        const file = path.resolve(dir, p);
        try {
          const b = await fs.readFile(file);
          return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          throw new Error(
            code === 'ENOENT'
              ? `weights file '${file}' named in ${jsonPath}'s weightsManifest does not exist`
              : `cannot read weights file '${file}' (${code ?? (e as Error).message})`,
          );
        }
      });
    },
  };
}

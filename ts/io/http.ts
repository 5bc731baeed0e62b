/**
 * http:// and https:// (tf.io.http): load fetches model.json, then the weight files its
 * manifest names relative to it; save POSTs a multipart form with 'model.json' and
 * 'model.weights.bin', as TensorFlow.js.
 */
import { artifactsFromJSON, getModelArtifactsInfoForJSON, modelJSONFor, parseModelJSON } from './artifacts';
import type { IOHandler, ModelArtifacts, SaveResult } from './types';
import { joinWeightData } from './weights';

export interface HttpOptions {
  requestInit?: RequestInit;
  fetchFunc?: typeof fetch;
}

export function isHttpURL(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

export function http(url: string, options: HttpOptions = {}): IOHandler {
  const doFetch = options.fetchFunc ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const init = options.requestInit ?? {};
  return {
    async load(): Promise<ModelArtifacts> {
      const res = await doFetch(url, init);
      if (!res.ok) throw new Error(`http: GET ${url} failed with status ${res.status}`);
      const json = parseModelJSON(await res.text(), url);
      return artifactsFromJSON(json, async (p) => {
        const wURL = new URL(p, new URL(url, (globalThis as { location?: { href: string } }).location?.href)).href;
        const r = await doFetch(wURL, init);
        if (!r.ok) throw new Error(`weights file '${wURL}' named in ${url}'s weightsManifest could not be fetched (status ${r.status})`);
        return r.arrayBuffer();
      });
    },
    async save(a: ModelArtifacts): Promise<SaveResult> {
      const form = new FormData();
      const weightsName = 'model.weights.bin';
      form.append('model.json', new Blob([JSON.stringify(modelJSONFor(a, [`./${weightsName}`]))], { type: 'application/json' }), 'model.json');
      if (a.weightData != null) {
        form.append(weightsName, new Blob([joinWeightData(a.weightData)], { type: 'application/octet-stream' }), weightsName);
      }
      const res = await doFetch(url, { method: 'POST', ...init, body: form });
      if (!res.ok) throw new Error(`http: POST ${url} failed with status ${res.status}`);
      return { modelArtifactsInfo: getModelArtifactsInfoForJSON(a), responses: [res] };
    },
  };
}

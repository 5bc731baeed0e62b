/**
 * Browser handlers with TensorFlow.js' names and storage layouts:
 * - indexeddb://<name>: the database 'tensorflowjs' (stores 'models_store' and
 *   'model_info_store', key 'modelPath'), so models saved by either library load in the other
 *   on the same origin;
 * - downloads://<name>: downloads <name>.json and <name>.weights.bin;
 * - browserFiles(files): loads a model.json and its weight files from <input type="file">.
 */
import { artifactsFromJSON, getModelArtifactsInfoForJSON, modelJSONFor, parseModelJSON } from './artifacts';
import type { IOHandler, ModelArtifacts, ModelArtifactsInfo, SaveResult } from './types';
import { joinWeightData } from './weights';

export const INDEXEDDB_SCHEME = 'indexeddb://';
export const DOWNLOADS_SCHEME = 'downloads://';

const DATABASE_NAME = 'tensorflowjs';
const DATABASE_VERSION = 1;
const MODEL_STORE = 'models_store';
const INFO_STORE = 'model_info_store';

function idbFactory(): IDBFactory {
  const g = globalThis as { indexedDB?: IDBFactory };
  if (!g.indexedDB) throw new Error('indexeddb://: this environment has no IndexedDB (it needs a browser; in Node use file://)');
  return g.indexedDB;
}

function openDB(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = idbFactory().open(DATABASE_NAME, DATABASE_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(MODEL_STORE)) db.createObjectStore(MODEL_STORE, { keyPath: 'modelPath' });
      if (!db.objectStoreNames.contains(INFO_STORE)) db.createObjectStore(INFO_STORE, { keyPath: 'modelPath' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('indexeddb://: transaction aborted'));
  });
}

/** The indexeddb:// handler for a model path. */
export function browserIndexedDB(modelPath: string): IOHandler {
  if (!modelPath) throw new Error('indexeddb://: the model path must not be empty');
  return {
    async save(a: ModelArtifacts): Promise<SaveResult> {
      const artifacts: ModelArtifacts = { ...a, weightData: a.weightData ? joinWeightData(a.weightData) : undefined };
      const modelArtifactsInfo = getModelArtifactsInfoForJSON(artifacts);
      const db = await openDB();
      try {
        // One transaction over both stores: the info and the model land together or not at all.
        const tx = db.transaction([INFO_STORE, MODEL_STORE], 'readwrite');
        tx.objectStore(INFO_STORE).put({ modelPath, modelArtifactsInfo });
        tx.objectStore(MODEL_STORE).put({ modelPath, modelArtifacts: artifacts, modelArtifactsInfo });
        await done(tx);
      } finally {
        db.close();
      }
      return { modelArtifactsInfo };
    },
    async load(): Promise<ModelArtifacts> {
      const db = await openDB();
      try {
        const tx = db.transaction(MODEL_STORE, 'readonly');
        const req = tx.objectStore(MODEL_STORE).get(modelPath);
        const rec = await new Promise<{ modelArtifacts: ModelArtifacts } | undefined>((resolve, reject) => {
          req.onsuccess = () => resolve(req.result as { modelArtifacts: ModelArtifacts } | undefined);
          req.onerror = () => reject(req.error);
        });
        if (!rec) throw new Error(`indexeddb://: no model saved at '${modelPath}'`);
        return rec.modelArtifacts;
      } finally {
        db.close();
      }
    },
  };
}

/** Models saved in IndexedDB: path → info (tf.io.listModels for indexeddb://). */
export async function listIndexedDBModels(): Promise<Record<string, ModelArtifactsInfo>> {
  const db = await openDB();
  try {
    const tx = db.transaction(INFO_STORE, 'readonly');
    const req = tx.objectStore(INFO_STORE).getAll();
    const rows = await new Promise<{ modelPath: string; modelArtifactsInfo: ModelArtifactsInfo }[]>((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    return Object.fromEntries(rows.map((r) => [`${INDEXEDDB_SCHEME}${r.modelPath}`, r.modelArtifactsInfo]));
  } finally {
    db.close();
  }
}

/** Deletes a model saved in IndexedDB. */
export async function removeIndexedDBModel(modelPath: string): Promise<void> {
  const db = await openDB();
  try {
    const tx = db.transaction([INFO_STORE, MODEL_STORE], 'readwrite');
    tx.objectStore(INFO_STORE).delete(modelPath);
    tx.objectStore(MODEL_STORE).delete(modelPath);
    await done(tx);
  } finally {
    db.close();
  }
}

/** The downloads:// handler: the browser downloads <prefix>.json and <prefix>.weights.bin. */
export function browserDownloads(fileNamePrefix = 'model'): IOHandler {
  const prefix = fileNamePrefix || 'model';
  return {
    async save(a: ModelArtifacts): Promise<SaveResult> {
      if (typeof document === 'undefined' || typeof URL?.createObjectURL !== 'function') {
        throw new Error('downloads://: needs a browser page (document and URL.createObjectURL); in Node use file://');
      }
      const weightsName = `${prefix}.weights.bin`;
      const json = modelJSONFor(a, [`./${weightsName}`]);
      const data = a.weightData ? joinWeightData(a.weightData) : new ArrayBuffer(0);
      const jsonURL = URL.createObjectURL(new Blob([JSON.stringify(json)], { type: 'application/json' }));
      const weightsURL = URL.createObjectURL(new Blob([data], { type: 'application/octet-stream' }));
      const click = (href: string, name: string) => {
        const anchor = document.createElement('a');
        anchor.download = name;
        anchor.href = href;
        anchor.dispatchEvent(new MouseEvent('click'));
      };
      click(jsonURL, `${prefix}.json`);
      if (a.weightData != null) click(weightsURL, weightsName);
      // Revoke later: the downloads read the blobs after this returns.
      setTimeout(() => {
        URL.revokeObjectURL(jsonURL);
        URL.revokeObjectURL(weightsURL);
      }, 60_000);
      return { modelArtifactsInfo: getModelArtifactsInfoForJSON(a) };
    },
  };
}

/** Loads from browser File objects: a model.json and the weight files it names (by file name). */
export function browserFiles(files: (Blob & { name: string })[]): IOHandler {
  return {
    async load(): Promise<ModelArtifacts> {
      const json = files.find((f) => f.name.endsWith('.json'));
      if (!json) throw new Error('browserFiles: none of the files is a model.json');
      const parsed = parseModelJSON(await json.text(), json.name);
      const byName = new Map(files.filter((f) => f !== json).map((f) => [f.name, f]));
      return artifactsFromJSON(parsed, async (p) => {
        const base = p.split('/').pop() ?? p;
        const f = byName.get(base);
        if (!f) throw new Error(`weights file '${base}' named in ${json.name}'s weightsManifest was not among the files given`);
        return f.arrayBuffer();
      });
    },
  };
}

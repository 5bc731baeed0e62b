/** URL schemes → handlers, with TensorFlow.js' scheme names. */
import { browserDownloads, browserIndexedDB, DOWNLOADS_SCHEME, INDEXEDDB_SCHEME } from './browser';
import { FILE_SCHEME, fileSystem } from './file';
import { http, isHttpURL } from './http';
import type { IOHandler } from './types';

const SCHEMES = `${FILE_SCHEME} (Node), ${INDEXEDDB_SCHEME}, ${DOWNLOADS_SCHEME} (save only), http(s):// (browser)`;

function route(url: string, what: 'save' | 'load'): IOHandler {
  if (typeof url !== 'string') throw new Error(`${what}: expected a URL string or an IOHandler, got ${typeof url}`);
  if (url.startsWith(FILE_SCHEME)) return fileSystem(url);
  if (url.startsWith(INDEXEDDB_SCHEME)) return browserIndexedDB(url.slice(INDEXEDDB_SCHEME.length));
  if (url.startsWith(DOWNLOADS_SCHEME)) {
    if (what === 'load') throw new Error(`load: ${DOWNLOADS_SCHEME} can only save; load the downloaded files with fe.io.browserFiles`);
    return browserDownloads(url.slice(DOWNLOADS_SCHEME.length));
  }
  if (isHttpURL(url)) return http(url);
  throw new Error(`${what}: no handler for '${url}' (known schemes: ${SCHEMES}); or pass an IOHandler such as fe.io.withSaveHandler / fe.io.fromMemory`);
}

/** The handler that saves to `url`. */
export function getSaveHandler(url: string): IOHandler {
  return route(url, 'save');
}

/** The handler that loads from `url`. */
export function getLoadHandler(url: string): IOHandler {
  return route(url, 'load');
}

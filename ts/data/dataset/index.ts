/**
 * fe.data: datasets as TensorFlow.js' tf.data — lazy pipelines of elements (tensors, numbers,
 * strings, arrays and objects of them) from arrays, generators and streamed CSV files.
 */
export { Dataset, array, zip, generator, func, datasetFromIteratorFn } from './dataset';
export { CSVDataset, csv } from './csv-dataset';
export type { CSVConfig, ColumnConfig, ColumnDType } from './csv-dataset';
export { DataSource, FileDataSource, URLDataSource } from './sources';
export type { FileChunkOptions } from './sources';
export { LazyIterator } from './lazy-iterator';
export type { DataElement } from './element';

/**
 * The wasm backend's 3-D and depthwise convolution, 3-D pooling and resampling kernels:
 * argument marshalling and status codes (crates/ferrite-wasm/src/conv3d.rs, depthwise.rs,
 * pool3d.rs, resize.rs).
 */
import type { Storage } from '../backend';
import {
  conv3dGeometryValues, cropGeometryValues, depthwiseGeometryValues, pool3dGeometryValues, resizeGeometryValues,
  type Conv3dGeometry, type CropGeometry, type DepthwiseGeometry, type Pool3dGeometry, type ResizeGeometry,
} from '../spatial-geometry';
import { convStatus } from './conv-status';
import type { FerriteExports } from './exports';

const ptr = (s: Storage | null): number => (s ? (s as unknown as { ptr: number }).ptr : 0);

/** Writes geometry values into wasm memory and returns their address. */
export type GeometryWriter = (values: number[]) => number;

export function conv3d(
  x: FerriteExports, xs: Storage, filter: Storage, bias: Storage | null, out: Storage, g: Conv3dGeometry, relu: boolean, at: GeometryWriter,
): void {
  convStatus('conv3d', x.ferrite_conv3d(ptr(xs), ptr(filter), ptr(bias), ptr(out), at(conv3dGeometryValues(g)), relu ? 1 : 0), x.memory);
}

export function conv3dBackpropInput(x: FerriteExports, dy: Storage, filter: Storage, dx: Storage, g: Conv3dGeometry, at: GeometryWriter): void {
  convStatus('conv3dBackpropInput', x.ferrite_conv3d_backprop_input(ptr(dy), ptr(filter), ptr(dx), at(conv3dGeometryValues(g))), x.memory);
}

export function conv3dBackpropFilter(x: FerriteExports, xs: Storage, dy: Storage, dFilter: Storage, g: Conv3dGeometry, at: GeometryWriter): void {
  convStatus('conv3dBackpropFilter', x.ferrite_conv3d_backprop_filter(ptr(xs), ptr(dy), ptr(dFilter), at(conv3dGeometryValues(g))), x.memory);
}

export function depthwiseConv2d(
  x: FerriteExports, xs: Storage, filter: Storage, bias: Storage | null, out: Storage, g: DepthwiseGeometry, relu: boolean, at: GeometryWriter,
): void {
  convStatus('depthwiseConv2d',
    x.ferrite_depthwise_conv2d(ptr(xs), ptr(filter), ptr(bias), ptr(out), at(depthwiseGeometryValues(g)), relu ? 1 : 0), x.memory);
}

export function depthwiseConv2dBackpropInput(x: FerriteExports, dy: Storage, filter: Storage, dx: Storage, g: DepthwiseGeometry, at: GeometryWriter): void {
  convStatus('depthwiseConv2dBackpropInput',
    x.ferrite_depthwise_conv2d_backprop_input(ptr(dy), ptr(filter), ptr(dx), at(depthwiseGeometryValues(g))), x.memory);
}

export function depthwiseConv2dBackpropFilter(x: FerriteExports, xs: Storage, dy: Storage, dFilter: Storage, g: DepthwiseGeometry, at: GeometryWriter): void {
  convStatus('depthwiseConv2dBackpropFilter',
    x.ferrite_depthwise_conv2d_backprop_filter(ptr(xs), ptr(dy), ptr(dFilter), at(depthwiseGeometryValues(g))), x.memory);
}

export function maxPool3d(x: FerriteExports, xs: Storage, out: Storage, g: Pool3dGeometry, at: GeometryWriter): void {
  convStatus('maxPool3d', x.ferrite_max_pool3d(ptr(xs), ptr(out), at(pool3dGeometryValues(g))), x.memory);
}

export function maxPool3dGrad(x: FerriteExports, xs: Storage, dy: Storage, dx: Storage, g: Pool3dGeometry, at: GeometryWriter): void {
  convStatus('maxPool3dGrad', x.ferrite_max_pool3d_grad(ptr(xs), ptr(dy), ptr(dx), at(pool3dGeometryValues(g))), x.memory);
}

export function avgPool3d(x: FerriteExports, xs: Storage, out: Storage, g: Pool3dGeometry, at: GeometryWriter): void {
  convStatus('avgPool3d', x.ferrite_avg_pool3d(ptr(xs), ptr(out), at(pool3dGeometryValues(g))), x.memory);
}

export function avgPool3dGrad(x: FerriteExports, dy: Storage, dx: Storage, g: Pool3dGeometry, at: GeometryWriter): void {
  convStatus('avgPool3dGrad', x.ferrite_avg_pool3d_grad(ptr(dy), ptr(dx), at(pool3dGeometryValues(g))), x.memory);
}

export function resizeBilinear(x: FerriteExports, xs: Storage, out: Storage, g: ResizeGeometry, at: GeometryWriter): void {
  convStatus('resizeBilinear', x.ferrite_resize_bilinear(ptr(xs), ptr(out), at(resizeGeometryValues(g))), x.memory);
}

export function resizeBilinearGrad(x: FerriteExports, dy: Storage, dx: Storage, g: ResizeGeometry, at: GeometryWriter): void {
  convStatus('resizeBilinearGrad', x.ferrite_resize_bilinear_grad(ptr(dy), ptr(dx), at(resizeGeometryValues(g))), x.memory);
}

export function resizeNearest(x: FerriteExports, xs: Storage, out: Storage, g: ResizeGeometry, at: GeometryWriter): void {
  convStatus('resizeNearestNeighbor', x.ferrite_resize_nearest(ptr(xs), ptr(out), at(resizeGeometryValues(g))), x.memory);
}

export function resizeNearestGrad(x: FerriteExports, dy: Storage, dx: Storage, g: ResizeGeometry, at: GeometryWriter): void {
  convStatus('resizeNearestNeighborGrad', x.ferrite_resize_nearest_grad(ptr(dy), ptr(dx), at(resizeGeometryValues(g))), x.memory);
}

/** −1, or the first box with a bad image index. */
function boxStatus(op: string, code: number, g: CropGeometry): number {
  if (code === 0) return -1;
  if (code > 0) return code - 1;
  throw new Error(`ferrite: ${op}: the kernel rejected the geometry ${JSON.stringify(g)}`);
}

export function cropAndResize(
  x: FerriteExports, image: Storage, boxes: Storage, boxInd: Storage, out: Storage, g: CropGeometry, extrapolation: number, at: GeometryWriter,
): number {
  return boxStatus('cropAndResize',
    x.ferrite_crop_and_resize(ptr(image), ptr(boxes), ptr(boxInd), ptr(out), at(cropGeometryValues(g)), extrapolation), g);
}

export function cropAndResizeGradImage(
  x: FerriteExports, dy: Storage, boxes: Storage, boxInd: Storage, dImage: Storage, g: CropGeometry, at: GeometryWriter,
): number {
  return boxStatus('cropAndResizeGradImage',
    x.ferrite_crop_and_resize_grad_image(ptr(dy), ptr(boxes), ptr(boxInd), ptr(dImage), at(cropGeometryValues(g))), g);
}

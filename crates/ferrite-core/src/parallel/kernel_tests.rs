//! Every kernel that splits its output across threads gives the bits of one thread, for 2,
//! 3 and 5 threads, at sizes that do not divide among them and with fewer parts than tasks.
//! (`with_threads` turns the work thresholds off, so even these small shapes are cut.)
//! The sgemm has its own test in gemm/tests.rs.

use super::{jobs_spread, with_threads};
use crate::testutil::Rng;

/// Runs `f` (which returns its outputs as bits) with 1 thread, then 2, 3 and 5, and checks
/// every bit matches — and, when `splits`, that the work was in fact cut into tasks.
#[track_caller]
fn same_bits(what: &str, splits: bool, f: impl Fn() -> Vec<u32>) {
    let one = with_threads(1, &f);
    for threads in [2, 3, 5] {
        let before = jobs_spread();
        let got = with_threads(threads, &f);
        assert!(!splits || jobs_spread() > before, "{what}: nothing was split over {threads} threads");
        assert_eq!(got.len(), one.len(), "{what}: length with {threads} threads");
        if let Some(i) = got.iter().zip(&one).position(|(a, b)| a != b) {
            panic!("{what}: element {i} differs with {threads} threads: {:e} vs {:e}",
                f32::from_bits(got[i]), f32::from_bits(one[i]));
        }
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn element_wise_maps_casts_and_where() {
    use crate::elementwise::{self as ew, InOut, UnaryGradOp, UnaryOp};
    let mut rng = Rng::new(1);
    for n in [1, 63, 64, 65, 1000, 4099] {
        let x = rng.vec(n, -6.0, 6.0);
        let dy = rng.vec(n, -1.0, 1.0);
        for op in UnaryOp::ALL {
            same_bits(&format!("{op:?} n {n}"), n >= 128, || {
                let mut out = vec![f32::NAN; n];
                ew::unary(op, InOut::Split(&x, &mut out), 0.3);
                let mut inplace = x.clone();
                ew::unary(op, InOut::InPlace(&mut inplace), 0.3);
                [bits(&out), bits(&inplace)].concat()
            });
        }
        for op in UnaryGradOp::ALL {
            same_bits(&format!("{op:?} grad n {n}"), n >= 128, || {
                let mut dx = vec![f32::NAN; n];
                ew::unary_grad(op, &x, &dy, &mut dx, 0.3);
                bits(&dx)
            });
        }
        same_bits("affine, clip, where, casts", n >= 128, || {
            let mut a = vec![f32::NAN; n];
            ew::affine(InOut::Split(&x, &mut a), 1.5, -0.25);
            let mut c = x.clone();
            ew::clip(InOut::InPlace(&mut c), -1.0, 2.0);
            let mut w = vec![f32::NAN; n];
            ew::where_(&dy, &x, &a, &mut w);
            let mut i = vec![0i32; n];
            ew::cast_f32_i32(&x, &mut i);
            let mut f = vec![f32::NAN; n];
            ew::cast_i32_f32(&i, &mut f);
            [bits(&a), bits(&c), bits(&w), i.iter().map(|&v| v as u32).collect(), bits(&f)].concat()
        });
    }
}

#[test]
fn broadcast_binary_ops() {
    use crate::broadcast::{binary, BinaryOp};
    let mut rng = Rng::new(2);
    // (shape, a strides, b strides): contiguous, row broadcast, column broadcast, scalar,
    // transposed (strided inner loop), a single long row.
    let cases: [(&[usize], [isize; 3], [isize; 3]); 6] = [
        (&[7, 9, 13], [117, 13, 1], [117, 13, 1]),
        (&[7, 9, 13], [117, 13, 1], [0, 0, 1]),
        (&[5, 3, 11], [33, 11, 1], [3, 1, 0]),
        (&[5, 3, 11], [33, 11, 1], [0, 0, 0]),
        (&[6, 5, 7], [1, 6, 30], [35, 7, 1]),
        (&[1, 1, 1000], [0, 0, 1], [0, 0, 1]),
    ];
    for (shape, sa, sb) in cases {
        let n: usize = shape.iter().product();
        let a = rng.vec(n, -3.0, 3.0);
        let b = rng.vec(n, 0.1, 3.0);
        for op in BinaryOp::ALL {
            same_bits(&format!("{op:?} {shape:?}"), true, || {
                let mut out = vec![f32::NAN; n];
                binary(op, &a, 0, &sa, &b, 0, &sb, &mut out, shape);
                bits(&out)
            });
        }
    }
}

#[test]
fn strided_copies() {
    use crate::broadcast::strided_copy;
    let mut rng = Rng::new(24);
    let src: Vec<u32> = rng.vec(60 * 70 * 3, -1.0, 1.0).iter().map(|x| x.to_bits()).collect();
    // (shape, src strides, src base, dst strides): a transpose, a reversed and strided slice,
    // a broadcast (stride 0), and a transposed destination (its blocks interleave: one task).
    let cases: [(&[usize], &[isize], usize, &[isize]); 6] = [
        (&[12345], &[1], 7, &[1]),
        (&[4001], &[-3], 12599, &[1]),
        (&[70, 60, 3], &[3, 210, 1], 0, &[180, 3, 1]),
        (&[30, 35], &[-140, 2], 59 * 210, &[35, 1]),
        (&[61, 3, 210], &[0, 210, 1], 5, &[630, 210, 1]),
        (&[60, 70], &[210, 3], 1, &[1, 60]),
    ];
    for (shape, ss, sb, ds) in cases {
        let n: usize = shape.iter().product();
        // Every case splits but the transposed destination.
        same_bits(&format!("strided copy {shape:?}"), ds[0] != 1 || shape.len() == 1, || {
            let mut dst = vec![u32::MAX; n];
            strided_copy(&src, sb, ss, &mut dst, 0, ds, shape);
            dst
        });
    }
}

#[test]
fn reductions_over_rows_and_columns() {
    use crate::reduce::{arg_reduce, reduce, ArgReduceOp, ReduceOp};
    let mut rng = Rng::new(3);
    for (outer, axis, inner) in [
        (1, 1, 1), (1, 37, 1), (13, 37, 1), (1, 33, 129), (1, 9, 530), (1, 40, 300), (3, 7, 66), (9, 5, 3), (2, 0, 5),
        (1, 101, 7), (1, 5, 16), (1, 3, 16),
    ] {
        // Column pieces are at least 256 floats: a single block narrower than 256 goes in
        // groups of at least 2 rows; one of 256 to 511 stays whole.
        let pieces = if inner == 1 {
            outer
        } else if outer == 1 && inner < 256 {
            (axis / 2).min(8)
        } else {
            outer * (inner / 256).max(1)
        };
        let x = rng.vec(outer * axis * inner, -2.0, 2.0);
        for op in ReduceOp::ALL {
            same_bits(&format!("{op:?} {outer}×{axis}×{inner}"), pieces > 1 && axis > 0, || {
                let mut out = vec![f32::NAN; outer * inner];
                reduce(op, &x, &mut out, outer, axis, inner);
                bits(&out)
            });
        }
        for op in [ArgReduceOp::ArgMax, ArgReduceOp::ArgMin] {
            same_bits(&format!("{op:?} {outer}×{axis}×{inner}"), outer > 1 && axis > 0, || {
                let mut out = vec![-1i32; outer * inner];
                arg_reduce(op, &x, &mut out, outer, axis, inner);
                out.iter().map(|&v| v as u32).collect()
            });
        }
    }
}

#[test]
fn softmax_losses_and_fused_dense_output() {
    use crate::fused::{bias_act, bias_act_grad, BiasAct};
    use crate::losses::{sigmoid_cross_entropy, softmax_cross_entropy, sparse_softmax_cross_entropy};
    use crate::softmax::{log_softmax, log_softmax_grad, softmax, softmax_grad};
    let mut rng = Rng::new(4);
    for (rows, cols) in [(1, 1), (7, 3), (33, 10), (5, 129)] {
        let n = rows * cols;
        let x = rng.vec(n, -5.0, 5.0);
        let dy = rng.vec(n, -1.0, 1.0);
        let z = rng.vec(n, 0.0, 1.0);
        let labels: Vec<i32> = (0..rows).map(|r| (r * 7 % cols) as i32).collect();
        let bias = rng.vec(cols, -1.0, 1.0);
        same_bits(&format!("softmax family {rows}×{cols}"), rows > 1, || {
            let mut o = vec![vec![f32::NAN; n]; 6];
            softmax(&x, &mut o[0], rows, cols);
            log_softmax(&x, &mut o[1], rows, cols);
            let (y, ly) = (o[0].clone(), o[1].clone());
            softmax_grad(&y, &dy, &mut o[2], rows, cols);
            log_softmax_grad(&ly, &dy, &mut o[3], rows, cols);
            let mut l = vec![vec![f32::NAN; rows]; 2];
            softmax_cross_entropy(&x, &z, &mut l[0], &mut o[4], rows, cols);
            assert_eq!(sparse_softmax_cross_entropy(&x, &labels, &mut l[1], &mut o[5], rows, cols), -1);
            let (mut sl, mut sg) = (vec![f32::NAN; n], vec![f32::NAN; n]);
            sigmoid_cross_entropy(&x, &z, &mut sl, &mut sg);
            [o.concat(), l.concat(), sl, sg].iter().flat_map(|v| bits(v)).collect()
        });
        for act in BiasAct::ALL {
            same_bits(&format!("{act:?} dense output {rows}×{cols}"), rows > 1, || {
                let (mut out, mut pre) = (vec![f32::NAN; n], vec![f32::NAN; n]);
                bias_act(act, &x, Some(&bias), &mut out, Some(&mut pre), rows, cols, 1.0);
                let (mut dx, mut db) = (vec![f32::NAN; n], vec![f32::NAN; cols]);
                let xy = if act.grad_needs_pre() { &pre } else { &out };
                bias_act_grad(act, xy, &dy, &mut dx, Some(&mut db), rows, cols, 1.0);
                let mut dx2 = vec![f32::NAN; n];
                bias_act_grad(act, xy, &dy, &mut dx2, None, rows, cols, 1.0);
                [bits(&out), bits(&pre), bits(&dx), bits(&db), bits(&dx2)].concat()
            });
        }
    }
}

#[test]
fn optimizer_updates() {
    use crate::optim::{adam, rmsprop, sgd};
    let mut rng = Rng::new(5);
    for n in [1, 65, 1000, 3001] {
        let p0 = rng.vec(n, -1.0, 1.0);
        let g = rng.vec(n, -1.0, 1.0);
        let s0 = rng.vec(n, 0.0, 0.5);
        same_bits(&format!("optimizers n {n}"), n >= 128, || {
            let (mut p, mut m, mut v) = (p0.clone(), s0.clone(), s0.clone());
            adam(&mut p, &g, &mut m, &mut v, 1e-3, 0.9, 0.999, 1e-7);
            let (mut p2, mut vel) = (p0.clone(), s0.clone());
            sgd(&mut p2, &g, Some(&mut vel), 0.1, 0.9, true);
            let mut p3 = p0.clone();
            sgd(&mut p3, &g, None, 0.1, 0.0, false);
            let (mut p4, mut ms, mut mg, mut mom) = (p0.clone(), s0.clone(), s0.clone(), s0.clone());
            rmsprop(&mut p4, &g, &mut ms, Some(&mut mg), Some(&mut mom), 1e-2, 0.9, 0.5, 1e-7);
            [p, m, v, p2, vel, p3, p4, ms, mg, mom].iter().flat_map(|x| bits(x)).collect()
        });
        same_bits(&format!("PyTorch-style optimizers n {n}"), n >= 128, || {
            use crate::optim_torch as t;
            let (mut p, mut m, mut v, mut vm) = (p0.clone(), s0.clone(), s0.clone(), s0.clone());
            t::adam(&mut p, &g, &mut m, &mut v, Some(&mut vm), 1e-3, 0.9, 0.999, 1e-8, 0.3, 0.01, 0.999);
            let (mut p2, mut buf) = (p0.clone(), s0.clone());
            t::sgd(&mut p2, &g, Some(&mut buf), 0.1, 0.9, 0.1, true, 0.01, false);
            let mut p3 = p0.clone();
            t::sgd(&mut p3, &g, None, 0.1, 0.0, 0.0, false, 0.0, true);
            let (mut p4, mut sum) = (p0.clone(), s0.clone());
            t::adagrad(&mut p4, &g, &mut sum, 0.1, 1e-10, 0.01);
            let (mut p5, mut sq, mut ga, mut mom) = (p0.clone(), s0.clone(), s0.clone(), s0.clone());
            t::rmsprop(&mut p5, &g, &mut sq, Some(&mut ga), Some(&mut mom), 1e-2, 0.99, 1e-8, 0.01, 0.9);
            [p, m, v, vm, p2, buf, p3, p4, sum, p5, sq, ga, mom].iter().flat_map(|x| bits(x)).collect()
        });
    }
}

#[test]
fn gather_scatter_add_and_embedding_gradient() {
    use crate::indexing::{gather, scatter_add};
    let mut rng = Rng::new(6);
    for (outer, axis_len, inner, num) in [(1, 1000, 16, 3200), (2, 7, 5, 33), (1, 3, 1, 100), (3, 50, 64, 7)] {
        let x = rng.vec(outer * axis_len * inner, -1.0, 1.0);
        // Repeated indices (their gradients add up in order).
        let idx: Vec<i32> = (0..num).map(|j| ((j * 37 + j / 3) % axis_len) as i32).collect();
        let dy = rng.vec(outer * num * inner, -1.0, 1.0);
        same_bits(&format!("gather/scatter {outer}×{axis_len}×{inner}, {num} indices"), true, || {
            let mut out = vec![f32::NAN; outer * num * inner];
            assert_eq!(gather(&x, &idx, &mut out, outer, axis_len, inner), -1);
            let mut dx = x.clone();
            scatter_add(&dy, &idx, &mut dx, outer, axis_len, inner);
            [bits(&out), bits(&dx)].concat()
        });
    }
}

#[test]
fn convolution_forward_and_both_gradients() {
    use crate::conv::{conv2d, conv2d_backprop_filter, conv2d_backprop_input, Conv2dGeom};
    let mut rng = Rng::new(7);
    let g = |n, h, w, c, f, k: usize, s: usize, pad: usize| {
        let (oh, ow) = ((h + 2 * pad - k) / s + 1, (w + 2 * pad - k) / s + 1);
        Conv2dGeom { n, h, w, c, oh, ow, f, kh: k, kw: k, sh: s, sw: s, dh: 1, dw: 1, pt: pad, pl: pad }
    };
    let cases = [
        g(3, 9, 7, 3, 5, 3, 1, 1),   // odd sizes, more tasks than images: bands of rows
        g(1, 12, 11, 16, 10, 3, 1, 1), // one image
        g(5, 8, 8, 5, 9, 3, 2, 1),   // strided: input gradient by col2im
        g(2, 6, 6, 4, 8, 1, 1, 0),   // pointwise: one sgemm
        g(7, 5, 5, 1, 3, 2, 1, 0),
    ];
    for geom in cases {
        let x = rng.vec(geom.x_len(), -1.0, 1.0);
        let w = rng.vec(geom.filter_len(), -1.0, 1.0);
        let dy = rng.vec(geom.out_len(), -1.0, 1.0);
        let bias = rng.vec(geom.f, -1.0, 1.0);
        same_bits(&format!("conv2d {geom:?}"), true, || {
            let mut out = vec![f32::NAN; geom.out_len()];
            conv2d(&geom, &x, &w, Some(&bias), true, &mut out).unwrap();
            let mut dx = vec![f32::NAN; geom.x_len()];
            conv2d_backprop_input(&geom, &dy, &w, &mut dx).unwrap();
            let mut dw = vec![f32::NAN; geom.filter_len()];
            conv2d_backprop_filter(&geom, &x, &dy, &mut dw).unwrap();
            [bits(&out), bits(&dx), bits(&dw)].concat()
        });
    }
}

#[test]
fn convolutions_by_images_and_filter_gradients_by_groups_of_images() {
    use crate::conv::{conv2d_backprop_filter, Conv2dGeom};
    use crate::conv3d::{conv3d, conv3d_backprop_filter, conv3d_backprop_input, Conv3dGeom};
    use crate::depthwise::{depthwise_conv2d, depthwise_conv2d_backprop_filter, depthwise_conv2d_backprop_input, DepthwiseGeom};
    let mut rng = Rng::new(22);
    // W4's second layer at a smaller size (8 groups of 4 images), and 9 images (groups of 2
    // and a last one of 1) with padded channels and outputs.
    for (n, hw, c, f) in [(32, 6, 16, 32), (9, 5, 3, 10)] {
        let g = Conv2dGeom { n, h: hw, w: hw, c, oh: hw, ow: hw, f, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pt: 1, pl: 1 };
        let x = rng.vec(g.x_len(), -1.0, 1.0);
        let dy = rng.vec(g.out_len(), -1.0, 1.0);
        same_bits(&format!("conv2d filter gradient {g:?}"), true, || {
            let mut dw = vec![f32::NAN; g.filter_len()];
            conv2d_backprop_filter(&g, &x, &dy, &mut dw).unwrap();
            bits(&dw)
        });
    }
    let g = Conv3dGeom {
        n: 5, d: 3, h: 4, w: 5, c: 3, od: 2, oh: 3, ow: 4, f: 5, kd: 2, kh: 2, kw: 2,
        sd: 1, sh: 1, sw: 1, dd: 1, dh: 1, dw: 1, pf: 0, pt: 0, pl: 0,
    };
    let x = rng.vec(g.x_len(), -1.0, 1.0);
    let dy = rng.vec(g.out_len(), -1.0, 1.0);
    let w = rng.vec(g.filter_len(), -1.0, 1.0);
    same_bits("conv3d forward and both gradients", true, || {
        let mut out = vec![f32::NAN; g.out_len()];
        conv3d(&g, &x, &w, None, true, &mut out).unwrap();
        let mut dx = vec![f32::NAN; g.x_len()];
        conv3d_backprop_input(&g, &dy, &w, &mut dx).unwrap();
        let mut dw = vec![f32::NAN; g.filter_len()];
        conv3d_backprop_filter(&g, &x, &dy, &mut dw).unwrap();
        [bits(&out), bits(&dx), bits(&dw)].concat()
    });
    let g = DepthwiseGeom { n: 7, h: 6, w: 5, c: 5, m: 2, oh: 6, ow: 5, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pt: 1, pl: 1 };
    let x = rng.vec(g.x_len(), -1.0, 1.0);
    let dy = rng.vec(g.out_len(), -1.0, 1.0);
    let w = rng.vec(g.filter_len(), -1.0, 1.0);
    same_bits("depthwise forward and both gradients", true, || {
        let mut out = vec![f32::NAN; g.out_len()];
        depthwise_conv2d(&g, &x, &w, None, false, &mut out).unwrap();
        let mut dx = vec![f32::NAN; g.x_len()];
        depthwise_conv2d_backprop_input(&g, &dy, &w, &mut dx).unwrap();
        let mut dw = vec![f32::NAN; g.filter_len()];
        depthwise_conv2d_backprop_filter(&g, &x, &dy, &mut dw).unwrap();
        [bits(&out), bits(&dx), bits(&dw)].concat()
    });
}

#[test]
fn pooling_forward_and_gradients() {
    use crate::pool::{avg_pool2d, avg_pool2d_grad, max_pool2d, max_pool2d_grad, Pool2dGeom};
    let mut rng = Rng::new(8);
    let cases = [
        Pool2dGeom { n: 5, h: 7, w: 9, c: 3, oh: 3, ow: 4, ph: 2, pw: 2, sh: 2, sw: 2, pt: 0, pl: 0 },
        Pool2dGeom { n: 3, h: 8, w: 8, c: 8, oh: 4, ow: 4, ph: 2, pw: 2, sh: 2, sw: 2, pt: 0, pl: 0 }, // tiles exactly
        Pool2dGeom { n: 2, h: 7, w: 6, c: 5, oh: 7, ow: 6, ph: 3, pw: 3, sh: 1, sw: 1, pt: 1, pl: 1 }, // overlapping
    ];
    for g in cases {
        let x = rng.vec(g.x_len(), -1.0, 1.0);
        let dy = rng.vec(g.out_len(), -1.0, 1.0);
        same_bits(&format!("pooling {g:?}"), true, || {
            let mut o = vec![vec![f32::NAN; g.out_len()]; 2];
            max_pool2d(&g, &x, &mut o[0]);
            avg_pool2d(&g, &x, &mut o[1]);
            let mut d = vec![vec![f32::NAN; g.x_len()]; 2];
            max_pool2d_grad(&g, &x, &dy, &mut d[0]);
            avg_pool2d_grad(&g, &dy, &mut d[1]);
            [o.concat(), d.concat()].iter().flat_map(|v| bits(v)).collect()
        });
    }
}

#[test]
fn pooling_in_3d_and_resizing_by_images() {
    use crate::pool3d::{avg_pool3d, avg_pool3d_grad, max_pool3d, max_pool3d_grad, Pool3dGeom};
    use crate::resize::{resize_bilinear, resize_bilinear_grad, resize_nearest, resize_nearest_grad, ResizeGeom};
    let mut rng = Rng::new(23);
    // Overlapping windows (the gradients add into shared input elements within an image).
    let g = Pool3dGeom { n: 5, d: 4, h: 5, w: 6, c: 7, od: 2, oh: 3, ow: 3, pd: 3, ph: 3, pw: 3, sd: 2, sh: 2, sw: 2, pf: 1, pt: 1, pl: 1 };
    let x = rng.vec(g.x_len(), -1.0, 1.0);
    let dy = rng.vec(g.out_len(), -1.0, 1.0);
    same_bits("pool3d", true, || {
        let mut o = vec![vec![f32::NAN; g.out_len()]; 2];
        let mut d = vec![vec![f32::NAN; g.x_len()]; 2];
        max_pool3d(&g, &x, &mut o[0]);
        avg_pool3d(&g, &x, &mut o[1]);
        max_pool3d_grad(&g, &x, &dy, &mut d[0]);
        avg_pool3d_grad(&g, &dy, &mut d[1]);
        o.iter().chain(&d).flat_map(|v| bits(v)).collect()
    });
    for (align_corners, half_pixel_centers) in [(false, false), (true, false), (false, true)] {
        let g = ResizeGeom { n: 7, h: 5, w: 9, c: 3, oh: 8, ow: 4, align_corners, half_pixel_centers };
        let x = rng.vec(g.x_len(), -1.0, 1.0);
        let dy = rng.vec(g.out_len(), -1.0, 1.0);
        same_bits(&format!("resize {g:?}"), true, || {
            let mut o = vec![vec![f32::NAN; g.out_len()]; 2];
            let mut d = vec![vec![f32::NAN; g.x_len()]; 2];
            resize_bilinear(&g, &x, &mut o[0]);
            resize_nearest(&g, &x, &mut o[1]);
            resize_bilinear_grad(&g, &dy, &mut d[0]);
            resize_nearest_grad(&g, &dy, &mut d[1]);
            o.iter().chain(&d).flat_map(|v| bits(v)).collect()
        });
    }
}

#[test]
fn ctc_over_samples_and_audio_over_frames() {
    use crate::audio::{dct::dct, fft::rfft, spectrogram::{spectrogram, SpectrogramGeom}};
    use crate::ctc::{ctc_loss, CtcDims};
    let mut rng = Rng::new(9);
    let d = CtcDims { batch: 7, time: 30, classes: 6, max_label: 8, blank: 0, zero_infinity: false };
    let logits = rng.vec(d.batch * d.time * d.classes, -2.0, 2.0);
    let labels: Vec<i32> = (0..d.batch * d.max_label).map(|i| 1 + (i * 5 % 5) as i32).collect();
    let input_lengths: Vec<i32> = (0..d.batch).map(|b| 30 - b as i32).collect();
    let label_lengths: Vec<i32> = (0..d.batch).map(|b| (b % 8) as i32 + 1).collect();
    same_bits("ctc", true, || {
        let (mut loss, mut grad) = (vec![f32::NAN; d.batch], vec![f32::NAN; logits.len()]);
        ctc_loss(&d, &logits, &labels, &input_lengths, &label_lengths, &mut loss, &mut grad).unwrap();
        [bits(&loss), bits(&grad)].concat()
    });
    let g = SpectrogramGeom { batch: 3, signal_len: 500, frame_length: 40, frame_step: 17, fft_length: 64, frames: 29, power: 2 };
    let signal = rng.vec(g.batch * g.signal_len, -1.0, 1.0);
    let window = rng.vec(40, 0.0, 1.0);
    same_bits("spectrogram, rfft, dct", true, || {
        let mut spec = vec![f32::NAN; g.out_len()];
        spectrogram(&g, &signal, Some(&window), &mut spec).unwrap();
        let mut f = vec![f32::NAN; 11 * 2 * (50 / 2 + 1)];
        rfft(&signal[..11 * 50], &mut f, 11, 50).unwrap();
        let mut c = vec![f32::NAN; 13 * 7];
        dct(&signal[..13 * 20], &mut c, 13, 20, 7).unwrap();
        [bits(&spec), bits(&f), bits(&c)].concat()
    });
}

#[test]
fn layer_norm_forward_and_backward() {
    use crate::layer_norm::{backward, forward, LayerNormDims};
    let mut rng = Rng::new(21);
    for &(rows, cols) in &[(1, 1), (7, 5), (33, 67), (130, 16)] {
        for rms in [false, true] {
            let d = LayerNormDims { rows, cols, epsilon: 1e-3, rms };
            let x = rng.vec(rows * cols, -2.0, 2.0);
            let dy = rng.vec(rows * cols, -1.0, 1.0);
            let (gamma, beta) = (rng.vec(cols, 0.5, 1.5), rng.vec(cols, -0.5, 0.5));
            same_bits(&format!("layer norm {rows}×{cols} rms {rms}"), rows > 1, || {
                let (mut out, mut mean, mut rstd) = (vec![f32::NAN; rows * cols], vec![f32::NAN; rows], vec![f32::NAN; rows]);
                forward(&d, &x, Some(&gamma), Some(&beta), &mut out, &mut mean, &mut rstd);
                let (mut dx, mut dg, mut db) = (vec![f32::NAN; rows * cols], vec![f32::NAN; cols], vec![f32::NAN; cols]);
                backward(&d, &x, Some(&gamma), &dy, &mean, &rstd, Some(&mut dx), Some(&mut dg), Some(&mut db));
                [bits(&out), bits(&mean), bits(&rstd), bits(&dx), bits(&dg), bits(&db)].concat()
            });
        }
    }
}

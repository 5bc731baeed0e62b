//! The fused kernels against a naive per-step reference in f64 (forward), and their backward
//! passes against central finite differences of that reference.

use super::*;
use crate::testutil::{assert_close, Rng};

fn act64(a: Act, x: f64) -> f64 {
    match a {
        Act::Linear => x,
        Act::Tanh => x.tanh(),
        Act::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        Act::HardSigmoid => (0.2 * x + 0.5).clamp(0.0, 1.0),
        Act::Relu => x.max(0.0),
    }
}

/// Everything a case needs, in f64 for the reference.
#[derive(Clone)]
struct Case {
    cell: Cell,
    seq: Seq,
    input: usize,
    units: usize,
    act: Act,
    ract: Act,
    return_sequences: bool,
    x: Vec<f64>,
    kernel: Vec<f64>,
    rec: Vec<f64>,
    bias: Option<Vec<f64>>,
    h0: Option<Vec<f64>>,
    c0: Option<Vec<f64>>,
    mask: Option<Vec<f64>>,
    rmask: Option<Vec<f64>>,
}

fn gates(cell: Cell) -> usize {
    match cell {
        Cell::Lstm => 4,
        Cell::Gru { .. } => 3,
        Cell::Simple => 1,
    }
}

fn bias_len(cell: Cell, u: usize) -> usize {
    match cell {
        Cell::Gru { reset_after: true } => 6 * u,
        c => gates(c) * u,
    }
}

struct Opts {
    batch_major: bool,
    go_backwards: bool,
    return_sequences: bool,
    bias: bool,
    init: bool,
    mask: bool,
    rmask: bool,
}

const PLAIN: Opts = Opts {
    batch_major: true, go_backwards: false, return_sequences: true, bias: true, init: false, mask: false, rmask: false,
};

fn make(cell: Cell, steps: usize, batch: usize, input: usize, units: usize, o: &Opts, seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    let g = gates(cell);
    let mut v = |n: usize, s: f32| -> Vec<f64> { rng.vec(n, -s, s).into_iter().map(f64::from).collect() };
    let x = v(steps * batch * input, 1.0);
    let kernel = v(input * g * units, 0.8);
    let rec = v(units * g * units, 0.8);
    let bias = o.bias.then(|| v(bias_len(cell, units), 0.5));
    let h0 = o.init.then(|| v(batch * units, 0.9));
    let c0 = (o.init && cell == Cell::Lstm).then(|| v(batch * units, 0.9));
    let mut rng2 = Rng::new(seed ^ 0x5555);
    let mask = o.mask.then(|| {
        // Some samples padded at the start, some at the end, one step masked in the middle.
        let mut m = vec![1.0; batch * steps];
        for b in 0..batch {
            let k = rng2.below(steps);
            for t in 0..steps {
                let pad = if b % 2 == 0 { t < k } else { t >= steps - k };
                if pad {
                    m[b * steps + t] = 0.0;
                }
            }
        }
        if steps > 2 {
            m[steps / 2] = 0.0;
        }
        m
    });
    let rmask = o.rmask.then(|| (0..batch * units).map(|_| if rng2.below(3) == 0 { 0.0 } else { 1.5 }).collect());
    Case {
        cell,
        seq: Seq { steps, batch, batch_major: o.batch_major, go_backwards: o.go_backwards },
        input,
        units,
        act: Act::Tanh,
        ract: Act::Sigmoid,
        return_sequences: o.return_sequences,
        x,
        kernel,
        rec,
        bias,
        h0,
        c0,
        mask,
        rmask,
    }
}

/// y (as the kernel lays it out), h_n, c_n: one step at a time, plain loops, f64.
fn naive(c: &Case) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (seq, u, nin) = (c.seq, c.units, c.input);
    let g = gates(c.cell);
    let nb = seq.batch;
    let mut h = c.h0.clone().unwrap_or(vec![0.0; nb * u]);
    let mut cs = c.c0.clone().unwrap_or(vec![0.0; nb * u]);
    let mut y = vec![0.0; if c.return_sequences { seq.rows() * u } else { nb * u }];
    for s in 0..seq.steps {
        let t = seq.time(s);
        for b in 0..nb {
            let live = c.mask.as_ref().is_none_or(|m| m[b * seq.steps + t] != 0.0);
            if live {
                let xr = &c.x[seq.row(b, t) * nin..][..nin];
                let hp: Vec<f64> = (0..u).map(|j| h[b * u + j] * c.rmask.as_ref().map_or(1.0, |m| m[b * u + j])).collect();
                // xw[k] = Σ x·K + b_in ; hw[k] = Σ h'·U (+ b_rec)
                let mut xw = vec![0.0; g * u];
                let mut hw = vec![0.0; g * u];
                for k in 0..g * u {
                    xw[k] = (0..nin).map(|i| xr[i] * c.kernel[i * g * u + k]).sum::<f64>();
                    hw[k] = (0..u).map(|i| hp[i] * c.rec[i * g * u + k]).sum::<f64>();
                    if let Some(bv) = &c.bias {
                        xw[k] += bv[k];
                        if c.cell == (Cell::Gru { reset_after: true }) {
                            hw[k] += bv[g * u + k];
                        }
                    }
                }
                for j in 0..u {
                    let (a, ra) = (|v| act64(c.act, v), |v| act64(c.ract, v));
                    match c.cell {
                        Cell::Lstm => {
                            let i = ra(xw[j] + hw[j]);
                            let f = ra(xw[u + j] + hw[u + j]);
                            let gg = a(xw[2 * u + j] + hw[2 * u + j]);
                            let o = ra(xw[3 * u + j] + hw[3 * u + j]);
                            cs[b * u + j] = f * cs[b * u + j] + i * gg;
                            h[b * u + j] = o * a(cs[b * u + j]);
                        }
                        Cell::Gru { reset_after } => {
                            let z = ra(xw[j] + hw[j]);
                            let r = ra(xw[u + j] + hw[u + j]);
                            let hh = if reset_after {
                                a(xw[2 * u + j] + r * hw[2 * u + j])
                            } else {
                                // (r·h')·U_h, each r_i multiplying its own h'_i
                                let rh: f64 = (0..u)
                                    .map(|i| {
                                        let ri = ra(xw[u + i] + hw[u + i]);
                                        ri * hp[i] * c.rec[i * 3 * u + 2 * u + j]
                                    })
                                    .sum();
                                a(xw[2 * u + j] + rh)
                            };
                            h[b * u + j] = z * hp[j] + (1.0 - z) * hh;
                        }
                        Cell::Simple => h[b * u + j] = a(xw[j] + hw[j]),
                    }
                }
            }
            if c.return_sequences {
                let o = seq.row(b, s);
                y[o * u..(o + 1) * u].copy_from_slice(&h[b * u..(b + 1) * u]);
            }
        }
    }
    if !c.return_sequences {
        y.copy_from_slice(&h);
    }
    (y, h, cs)
}

fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

struct Out {
    y: Vec<f32>,
    h: Vec<f32>,
    c: Vec<f32>,
    ws: Vec<f32>,
}

fn with_inputs<R>(c: &Case, x: &[f32], k: &[f32], rec: &[f32], bias: &Option<Vec<f32>>, mask: &Option<Vec<f32>>, rmask: &Option<Vec<f32>>, f: impl FnOnce(&Inputs) -> R) -> R {
    let p = Inputs {
        seq: c.seq,
        input: c.input,
        units: c.units,
        act: c.act,
        ract: c.ract,
        x,
        kernel: k,
        recurrent: rec,
        bias: bias.as_deref(),
        mask: mask.as_deref(),
        rmask: rmask.as_deref(),
        return_sequences: c.return_sequences,
    };
    f(&p)
}

fn run_forward(c: &Case) -> Out {
    let (nb, u) = (c.seq.batch, c.units);
    let (wf, _) = workspace_len(c.cell, c.seq.steps, nb, u);
    // Garbage in the workspace must not matter.
    let mut ws = vec![f32::NAN; wf];
    let mut y = vec![0.0; if c.return_sequences { c.seq.rows() * u } else { nb * u }];
    let (mut h, mut cs) = (vec![0.0; nb * u], vec![0.0; nb * u]);
    let (x, k, rec) = (f32s(&c.x), f32s(&c.kernel), f32s(&c.rec));
    let bias = c.bias.as_deref().map(f32s);
    let (mask, rmask) = (c.mask.as_deref().map(f32s), c.rmask.as_deref().map(f32s));
    let (h0, c0) = (c.h0.as_deref().map(f32s), c.c0.as_deref().map(f32s));
    with_inputs(c, &x, &k, &rec, &bias, &mask, &rmask, |p| match c.cell {
        Cell::Lstm => lstm::forward(p, h0.as_deref(), c0.as_deref(), &mut y, &mut h, &mut cs, &mut ws),
        Cell::Gru { reset_after } => gru::forward(p, reset_after, h0.as_deref(), &mut y, &mut h, &mut ws),
        Cell::Simple => simple::forward(p, h0.as_deref(), &mut y, &mut h, &mut ws),
    });
    Out { y, h, c: cs, ws }
}

fn check_forward(c: &Case) {
    let got = run_forward(c);
    let (y, h, cs) = naive(c);
    assert_close(&got.y, &f32s(&y), 2e-5, 2e-5);
    assert_close(&got.h, &f32s(&h), 2e-5, 2e-5);
    if c.cell == Cell::Lstm {
        assert_close(&got.c, &f32s(&cs), 2e-5, 2e-5);
    }
}

/// L = Σ wy·y + Σ wh·h_n (+ Σ wc·c_n).
fn loss(c: &Case, wy: &[f64], wh: &[f64], wc: &[f64]) -> f64 {
    let (y, h, cs) = naive(c);
    let mut l: f64 = y.iter().zip(wy).map(|(a, b)| a * b).sum();
    l += h.iter().zip(wh).map(|(a, b)| a * b).sum::<f64>();
    if c.cell == Cell::Lstm {
        l += cs.iter().zip(wc).map(|(a, b)| a * b).sum::<f64>();
    }
    l
}

fn finite_diff(c: &Case, wy: &[f64], wh: &[f64], wc: &[f64], get: impl Fn(&mut Case) -> &mut Vec<f64>) -> Vec<f32> {
    let mut c = c.clone();
    let n = get(&mut c).len();
    let eps = 1e-5;
    (0..n)
        .map(|i| {
            let v = get(&mut c)[i];
            get(&mut c)[i] = v + eps;
            let lp = loss(&c, wy, wh, wc);
            get(&mut c)[i] = v - eps;
            let lm = loss(&c, wy, wh, wc);
            get(&mut c)[i] = v;
            ((lp - lm) / (2.0 * eps)) as f32
        })
        .collect()
}

fn check_backward(c: &Case, seed: u64) {
    let (nb, u, nin) = (c.seq.batch, c.units, c.input);
    let g = gates(c.cell);
    let fwd = run_forward(c);
    let mut rng = Rng::new(seed);
    let mut v = |n: usize| -> Vec<f64> { rng.vec(n, -1.0, 1.0).into_iter().map(f64::from).collect() };
    let (wy, wh, wc) = (v(fwd.y.len()), v(nb * u), v(nb * u));
    let (_, wb) = workspace_len(c.cell, c.seq.steps, nb, u);
    let mut bws = vec![f32::NAN; wb];
    let mut dx = vec![f32::NAN; c.seq.rows() * nin];
    let mut dk = vec![f32::NAN; nin * g * u];
    let mut dr = vec![f32::NAN; u * g * u];
    let mut db = vec![f32::NAN; bias_len(c.cell, u)];
    let (mut dh0, mut dc0) = (vec![f32::NAN; nb * u], vec![f32::NAN; nb * u]);
    let (x, k, rec) = (f32s(&c.x), f32s(&c.kernel), f32s(&c.rec));
    let bias = c.bias.as_deref().map(f32s);
    let (mask, rmask) = (c.mask.as_deref().map(f32s), c.rmask.as_deref().map(f32s));
    let (wyf, whf, wcf) = (f32s(&wy), f32s(&wh), f32s(&wc));
    let up = Upstream { dy: Some(&wyf), dh_n: Some(&whf), dc_n: (c.cell == Cell::Lstm).then_some(&wcf[..]) };
    with_inputs(c, &x, &k, &rec, &bias, &mask, &rmask, |p| {
        let grads = Grads {
            dx: Some(&mut dx),
            dkernel: &mut dk,
            drecurrent: &mut dr,
            dbias: bias.as_ref().map(|_| &mut db[..]),
            dh0: Some(&mut dh0),
            dc0: (c.cell == Cell::Lstm).then_some(&mut dc0[..]),
        };
        match c.cell {
            Cell::Lstm => lstm::backward(p, &fwd.ws, up, grads, &mut bws),
            Cell::Gru { reset_after } => gru::backward(p, reset_after, &fwd.ws, up, grads, &mut bws),
            Cell::Simple => simple::backward(p, &fwd.ws, up, grads, &mut bws),
        }
    });
    let (rt, at) = (2e-3, 2e-4);
    assert_close(&dx, &finite_diff(c, &wy, &wh, &wc, |c| &mut c.x), rt, at);
    assert_close(&dk, &finite_diff(c, &wy, &wh, &wc, |c| &mut c.kernel), rt, at);
    assert_close(&dr, &finite_diff(c, &wy, &wh, &wc, |c| &mut c.rec), rt, at);
    if c.bias.is_some() {
        assert_close(&db, &finite_diff(c, &wy, &wh, &wc, |c| c.bias.as_mut().unwrap()), rt, at);
    }
    let mut ci = c.clone();
    ci.h0.get_or_insert_with(|| vec![0.0; nb * u]);
    assert_close(&dh0, &finite_diff(&ci, &wy, &wh, &wc, |c| c.h0.as_mut().unwrap()), rt, at);
    if c.cell == Cell::Lstm {
        ci.c0.get_or_insert_with(|| vec![0.0; nb * u]);
        assert_close(&dc0, &finite_diff(&ci, &wy, &wh, &wc, |c| c.c0.as_mut().unwrap()), rt, at);
    }
}

const CELLS: [Cell; 4] = [Cell::Lstm, Cell::Gru { reset_after: true }, Cell::Gru { reset_after: false }, Cell::Simple];

/// Shapes: 1s, odd sizes, units not a multiple of 4, one larger than a gemm block edge.
const SHAPES: [(usize, usize, usize, usize); 6] = [(1, 1, 1, 1), (3, 2, 3, 5), (5, 3, 7, 4), (2, 5, 1, 9), (7, 1, 4, 3), (4, 6, 9, 13)];

#[test]
fn forward_matches_naive_reference() {
    for (ci, &cell) in CELLS.iter().enumerate() {
        for (si, &(t, b, i, u)) in SHAPES.iter().enumerate() {
            let seed = (ci * 100 + si) as u64;
            check_forward(&make(cell, t, b, i, u, &PLAIN, seed));
            let all = Opts { batch_major: false, go_backwards: true, return_sequences: true, bias: true, init: true, mask: true, rmask: true };
            check_forward(&make(cell, t, b, i, u, &all, seed + 1));
            let last = Opts { batch_major: true, go_backwards: false, return_sequences: false, bias: false, init: true, mask: true, rmask: false };
            check_forward(&make(cell, t, b, i, u, &last, seed + 2));
        }
    }
}

#[test]
fn forward_with_other_activations() {
    for &cell in &CELLS {
        for (act, ract) in [(Act::Relu, Act::HardSigmoid), (Act::Linear, Act::Tanh), (Act::Sigmoid, Act::Sigmoid)] {
            let mut c = make(cell, 4, 3, 5, 6, &PLAIN, 9);
            c.act = act;
            c.ract = ract;
            check_forward(&c);
        }
    }
}

#[test]
fn backward_matches_finite_differences() {
    let variants = [
        PLAIN,
        Opts { batch_major: false, go_backwards: false, return_sequences: false, bias: true, init: true, mask: false, rmask: false },
        Opts { batch_major: true, go_backwards: true, return_sequences: true, bias: true, init: true, mask: true, rmask: false },
        Opts { batch_major: false, go_backwards: true, return_sequences: false, bias: false, init: false, mask: true, rmask: true },
        Opts { batch_major: true, go_backwards: false, return_sequences: true, bias: true, init: true, mask: false, rmask: true },
    ];
    for (ci, &cell) in CELLS.iter().enumerate() {
        for (vi, o) in variants.iter().enumerate() {
            for (si, &(t, b, i, u)) in [(3, 2, 3, 5), (1, 1, 1, 1), (4, 3, 2, 4)].iter().enumerate() {
                let seed = (ci * 1000 + vi * 10 + si) as u64;
                eprintln!("case {cell:?} variant {vi} shape {:?}", (t, b, i, u));
                check_backward(&make(cell, t, b, i, u, o, seed), seed + 7);
            }
        }
    }
}

#[test]
fn backward_with_other_activations() {
    for &cell in &CELLS {
        // relu and hardSigmoid have kinks: keep pre-activations away from them by luck of the
        // seed is not reliable, so use smooth pairs here.
        for (act, ract) in [(Act::Linear, Act::Tanh), (Act::Sigmoid, Act::Sigmoid)] {
            let mut c = make(cell, 3, 2, 3, 4, &PLAIN, 21);
            c.act = act;
            c.ract = ract;
            check_backward(&c, 5);
        }
    }
}

#[test]
fn masked_steps_carry_state() {
    // An all-masked sample keeps its initial state and repeats it as output.
    for &cell in &CELLS {
        let o = Opts { mask: false, init: true, ..PLAIN };
        let mut c = make(cell, 4, 2, 3, 5, &o, 3);
        let mut m = vec![1.0; 8];
        m[4..].iter_mut().for_each(|v| *v = 0.0);
        c.mask = Some(m);
        let out = run_forward(&c);
        let h0 = f32s(c.h0.as_ref().unwrap());
        for t in 0..4 {
            assert_eq!(&out.y[(4 + t) * 5..(5 + t) * 5], &h0[5..10]);
        }
        assert_eq!(&out.h[5..10], &h0[5..10]);
    }
}

#[test]
fn fast_tanh_and_sigmoid_accuracy() {
    let (mut et, mut es) = (0f64, 0f64);
    let mut x = -30.0f32;
    while x <= 30.0 {
        let t = fast_tanh(F32x4::splat(x)).lane0() as f64;
        let s = fast_sigmoid(F32x4::splat(x)).lane0() as f64;
        et = et.max((t - (x as f64).tanh()).abs());
        es = es.max((s - act64(Act::Sigmoid, x as f64)).abs());
        assert!(t.abs() <= 1.0 && (0.0..=1.0).contains(&s), "range at {x}");
        x += 0.001;
    }
    assert!(et < 1e-6 && es < 1e-6, "max abs error tanh {et:e}, sigmoid {es:e}");
    // Odd symmetry, and tiny inputs.
    for &v in &[1e-30f32, 1e-8, 1e-4, 0.3] {
        let t = fast_tanh(F32x4::splat(v)).lane0();
        assert_eq!(fast_tanh(F32x4::splat(-v)).lane0(), -t);
        assert!(((t as f64) - (v as f64).tanh()).abs() <= 4e-7 * (v as f64) + 1e-37, "tanh({v}) = {t}");
    }
    assert!(fast_tanh(F32x4::splat(f32::NAN)).lane0().is_nan());
    assert_eq!(fast_tanh(F32x4::splat(f32::INFINITY)).lane0(), 1.0);
}

#[test]
fn activations_and_their_gradients() {
    for a in [Act::Linear, Act::Tanh, Act::Sigmoid, Act::HardSigmoid, Act::Relu] {
        for &x in &[-3.0f32, -0.7, -0.1, 0.3, 1.9, 4.0] {
            let y = a.apply1(x);
            assert!((y as f64 - act64(a, x as f64)).abs() < 1e-6, "{a:?}({x})");
            let h = 1e-3;
            let fd = (act64(a, x as f64 + h) - act64(a, x as f64 - h)) / (2.0 * h);
            assert!((a.grad1(y) as f64 - fd).abs() < 1e-4, "{a:?}'({x}): {} vs {fd}", a.grad1(y));
        }
    }
    assert_eq!(Act::from_code(5), None);
}

/// Forward (outputs, state, workspace) and backward (every gradient) as bits.
fn all_bits(c: &Case) -> Vec<u32> {
    let (nb, u, nin) = (c.seq.batch, c.units, c.input);
    let g = gates(c.cell);
    let fwd = run_forward(c);
    let mut rng = Rng::new(77);
    let (wy, wh, wc) = (rng.vec(fwd.y.len(), -1.0, 1.0), rng.vec(nb * u, -1.0, 1.0), rng.vec(nb * u, -1.0, 1.0));
    let (_, wb) = workspace_len(c.cell, c.seq.steps, nb, u);
    let mut bws = vec![f32::NAN; wb];
    let mut dx = vec![f32::NAN; c.seq.rows() * nin];
    let mut dk = vec![f32::NAN; nin * g * u];
    let mut dr = vec![f32::NAN; u * g * u];
    let mut db = vec![f32::NAN; bias_len(c.cell, u)];
    let (mut dh0, mut dc0) = (vec![f32::NAN; nb * u], vec![f32::NAN; nb * u]);
    let (x, k, rec) = (f32s(&c.x), f32s(&c.kernel), f32s(&c.rec));
    let bias = c.bias.as_deref().map(f32s);
    let (mask, rmask) = (c.mask.as_deref().map(f32s), c.rmask.as_deref().map(f32s));
    let up = Upstream { dy: Some(&wy), dh_n: Some(&wh), dc_n: (c.cell == Cell::Lstm).then_some(&wc[..]) };
    with_inputs(c, &x, &k, &rec, &bias, &mask, &rmask, |p| {
        let grads = Grads {
            dx: Some(&mut dx),
            dkernel: &mut dk,
            drecurrent: &mut dr,
            dbias: bias.as_ref().map(|_| &mut db[..]),
            dh0: Some(&mut dh0),
            dc0: (c.cell == Cell::Lstm).then_some(&mut dc0[..]),
        };
        match c.cell {
            Cell::Lstm => lstm::backward(p, &fwd.ws, up, grads, &mut bws),
            Cell::Gru { reset_after } => gru::backward(p, reset_after, &fwd.ws, up, grads, &mut bws),
            Cell::Simple => simple::backward(p, &fwd.ws, up, grads, &mut bws),
        }
    });
    [fwd.y, fwd.h, fwd.c, fwd.ws, dx, dk, dr, db, dh0, dc0].iter().flatten().map(|v| v.to_bits()).collect()
}

/// Steps cut into bands of the batch (and the sgemms cut into tiles) give the bits of one
/// thread, for 2, 3 and 5 threads, masks and recurrent dropout included.
#[test]
fn same_bits_for_any_thread_count() {
    use crate::parallel::with_threads;
    let opts = Opts { batch_major: false, go_backwards: true, return_sequences: true, bias: true, init: true, mask: true, rmask: true };
    for (ci, &cell) in CELLS.iter().enumerate() {
        // Batches of 37 and 50 split into bands of ≥ 16 rows (see batch_bands_split_the_batch).
        for (si, &(t, b, i, u)) in [(4, 7, 3, 5), (3, 13, 5, 9), (2, 6, 4, 12), (3, 37, 5, 9), (2, 50, 4, 12)].iter().enumerate() {
            for o in [&PLAIN, &opts] {
                let c = make(cell, t, b, i, u, o, 900 + (ci * 10 + si) as u64);
                let one = with_threads(1, || all_bits(&c));
                for threads in [2, 3, 5] {
                    let got = with_threads(threads, || all_bits(&c));
                    assert!(got == one, "{cell:?} steps {t} batch {b} input {i} units {u}: {threads} threads differ");
                }
            }
        }
    }
}

#[test]
fn batch_bands_split_the_batch() {
    use crate::parallel::with_threads;
    use std::sync::Mutex;
    for (nb, threads, want) in [(37, 3, 2), (50, 2, 3), (50, 5, 3), (15, 3, 1), (4, 2, 1)] {
        let bands = Mutex::new(Vec::new());
        with_threads(threads, || super::batch_bands(nb, usize::MAX, |b| bands.lock().unwrap().push(b)));
        let mut bands = bands.into_inner().unwrap();
        bands.sort_by_key(|b| b.start);
        assert_eq!(bands.len(), want, "batch {nb} on {threads} threads: {bands:?}");
        assert!(bands.windows(2).all(|w| w[0].end == w[1].start) && bands[0].start == 0 && bands.last().unwrap().end == nb);
        assert!(want == 1 || bands.iter().all(|b| b.len() >= 12), "batch {nb}: a band is too narrow: {bands:?}");
    }
}

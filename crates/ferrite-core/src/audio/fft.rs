//! The real FFT of any length: X[k] = Σ_j x[j]·e^(−2πi·jk/n) for k = 0 … n/2, written as
//! interleaved (re, im) pairs. A power-of-two n runs as a complex FFT of n/2 points plus a
//! split step; any other n goes through Bluestein's chirp-z convolution on a power-of-two
//! complex FFT, so every length costs O(n log n). Twiddles are computed in f64.

use super::{try_vec, AudioError};
use std::f64::consts::PI;

/// An in-place radix-2 complex FFT of `m` (a power of two) points on interleaved data.
struct ComplexFft {
    m: usize,
    /// e^(−2πik/m) for k < m/2, interleaved.
    tw: Vec<f32>,
}

impl ComplexFft {
    fn new(m: usize) -> Result<Self, AudioError> {
        debug_assert!(m.is_power_of_two());
        let mut tw = try_vec(m.max(2), 0.0f32)?;
        for k in 0..m / 2 {
            let a = -2.0 * PI * k as f64 / m as f64;
            tw[2 * k] = a.cos() as f32;
            tw[2 * k + 1] = a.sin() as f32;
        }
        Ok(ComplexFft { m, tw })
    }

    /// Forward transform of `a` (2m floats); with `inverse`, the conjugate transform
    /// (unnormalized).
    fn run(&self, a: &mut [f32], inverse: bool) {
        let m = self.m;
        if m <= 1 {
            return;
        }
        let bits = m.trailing_zeros();
        for i in 0..m {
            let j = i.reverse_bits() >> (usize::BITS - bits);
            if j > i {
                a.swap(2 * i, 2 * j);
                a.swap(2 * i + 1, 2 * j + 1);
            }
        }
        let sign = if inverse { -1.0 } else { 1.0 };
        let mut len = 2;
        while len <= m {
            let half = len / 2;
            let step = m / len;
            for start in (0..m).step_by(len) {
                for k in 0..half {
                    let (wr, wi) = (self.tw[2 * k * step], sign * self.tw[2 * k * step + 1]);
                    let (p, q) = (2 * (start + k), 2 * (start + k + half));
                    let (vr, vi) = (a[q] * wr - a[q + 1] * wi, a[q] * wi + a[q + 1] * wr);
                    let (ur, ui) = (a[p], a[p + 1]);
                    a[p] = ur + vr;
                    a[p + 1] = ui + vi;
                    a[q] = ur - vr;
                    a[q + 1] = ui - vi;
                }
            }
            len *= 2;
        }
    }
}

enum Plan {
    /// n ≤ 1.
    Trivial,
    /// n = 2m, m a power of two: a complex FFT of the even/odd pairs, then the split step
    /// with e^(−2πik/n) for k ≤ m.
    Pow2 { half: ComplexFft, tw: Vec<f32> },
    /// Bluestein: chirp c[j] = e^(−πi·j²/n), and the FFT of the conjugate chirp laid out
    /// circularly over M ≥ 2n − 1 points.
    Bluestein { fft: ComplexFft, chirp: Vec<f32>, kernel: Vec<f32> },
}

/// A real FFT of a fixed length, reusable across calls.
pub struct RealFft {
    n: usize,
    plan: Plan,
}

impl RealFft {
    pub fn new(n: usize) -> Result<Self, AudioError> {
        let plan = if n <= 1 {
            Plan::Trivial
        } else if n.is_power_of_two() {
            let m = n / 2;
            let mut tw = try_vec(2 * (m + 1), 0.0f32)?;
            for k in 0..=m {
                let a = -2.0 * PI * k as f64 / n as f64;
                tw[2 * k] = a.cos() as f32;
                tw[2 * k + 1] = a.sin() as f32;
            }
            Plan::Pow2 { half: ComplexFft::new(m)?, tw }
        } else {
            let big = (2 * n - 1).next_power_of_two();
            let fft = ComplexFft::new(big)?;
            let mut chirp = try_vec(2 * n, 0.0f32)?;
            let mut kernel = try_vec(2 * big, 0.0f32)?;
            for j in 0..n {
                // j² mod 2n keeps the angle exact for large j.
                let a = PI * ((j as u128 * j as u128) % (2 * n as u128)) as f64 / n as f64;
                let (c, s) = (a.cos() as f32, a.sin() as f32);
                chirp[2 * j] = c;
                chirp[2 * j + 1] = -s;
                kernel[2 * j] = c;
                kernel[2 * j + 1] = s;
                if j > 0 {
                    kernel[2 * (big - j)] = c;
                    kernel[2 * (big - j) + 1] = s;
                }
            }
            fft.run(&mut kernel, false);
            Plan::Bluestein { fft, chirp, kernel }
        };
        Ok(RealFft { n, plan })
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Output floats: 2·(n/2 + 1).
    pub fn out_len(&self) -> usize {
        2 * (self.n / 2 + 1)
    }

    /// Scratch floats `process` needs.
    pub fn scratch_len(&self) -> usize {
        match &self.plan {
            Plan::Trivial => 0,
            Plan::Pow2 { .. } => self.n,
            Plan::Bluestein { fft, .. } => 2 * fft.m,
        }
    }

    /// out (2·(n/2 + 1) floats) = the spectrum of x (n floats).
    pub fn process(&self, x: &[f32], out: &mut [f32], scratch: &mut [f32]) {
        let n = self.n;
        let out = &mut out[..self.out_len()];
        match &self.plan {
            Plan::Trivial => {
                out[0] = if n == 1 { x[0] } else { 0.0 };
                out[1] = 0.0;
            }
            Plan::Pow2 { half, tw } => {
                let m = n / 2;
                let z = &mut scratch[..n];
                z.copy_from_slice(&x[..n]); // pairs (x[2k], x[2k+1]) as complex z[k]
                half.run(z, false);
                for k in 0..=m {
                    let (ar, ai) = if k == m { (z[0], z[1]) } else { (z[2 * k], z[2 * k + 1]) };
                    let j = if k == 0 { 0 } else { m - k };
                    let (br, bi) = (z[2 * j], -z[2 * j + 1]); // conj(Z[m − k])
                    // E = (Z[k] + conj Z[m−k]) / 2, O = (Z[k] − conj Z[m−k]) / 2i
                    let (er, ei) = (0.5 * (ar + br), 0.5 * (ai + bi));
                    let (or, oi) = (0.5 * (ai - bi), -0.5 * (ar - br));
                    let (wr, wi) = (tw[2 * k], tw[2 * k + 1]);
                    out[2 * k] = er + wr * or - wi * oi;
                    out[2 * k + 1] = ei + wr * oi + wi * or;
                }
            }
            Plan::Bluestein { fft, chirp, kernel } => {
                let big = fft.m;
                let a = &mut scratch[..2 * big];
                a.fill(0.0);
                for j in 0..n {
                    a[2 * j] = x[j] * chirp[2 * j];
                    a[2 * j + 1] = x[j] * chirp[2 * j + 1];
                }
                fft.run(a, false);
                for i in 0..big {
                    let (ar, ai) = (a[2 * i], a[2 * i + 1]);
                    let (br, bi) = (kernel[2 * i], kernel[2 * i + 1]);
                    a[2 * i] = ar * br - ai * bi;
                    a[2 * i + 1] = ar * bi + ai * br;
                }
                fft.run(a, true);
                let scale = 1.0 / big as f32;
                for k in 0..=n / 2 {
                    let (cr, ci) = (a[2 * k] * scale, a[2 * k + 1] * scale);
                    let (wr, wi) = (chirp[2 * k], chirp[2 * k + 1]);
                    out[2 * k] = cr * wr - ci * wi;
                    out[2 * k + 1] = cr * wi + ci * wr;
                }
            }
        }
    }
}

/// out [rows, n/2 + 1, 2] = the real FFT of each row of x [rows, n].
pub fn rfft(x: &[f32], out: &mut [f32], rows: usize, n: usize) -> Result<(), AudioError> {
    let plan = RealFft::new(n)?;
    let ol = plan.out_len();
    // Threads: bands of rows, each with its own scratch (rows are independent).
    let failed = core::sync::atomic::AtomicBool::new(false);
    let work = crate::parallel::element_ns(rows * n * 16);
    crate::parallel::for_each_row_band(&mut out[..rows * ol], rows, ol, work, |band, o| {
        let Ok(mut scratch) = try_vec(plan.scratch_len(), 0.0f32) else {
            failed.store(true, core::sync::atomic::Ordering::Relaxed);
            return;
        };
        for (i, r) in band.enumerate() {
            plan.process(&x[r * n..(r + 1) * n], &mut o[i * ol..(i + 1) * ol], &mut scratch);
        }
    });
    if failed.load(core::sync::atomic::Ordering::Relaxed) {
        return Err(AudioError::OutOfMemory);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Rng;

    fn naive(x: &[f32]) -> Vec<f32> {
        let n = x.len();
        let mut out = vec![0.0f32; 2 * (n / 2 + 1)];
        for k in 0..=n / 2 {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for (j, &v) in x.iter().enumerate() {
                let a = -2.0 * PI * ((j * k) % n) as f64 / n as f64;
                re += v as f64 * a.cos();
                im += v as f64 * a.sin();
            }
            out[2 * k] = re as f32;
            out[2 * k + 1] = im as f32;
        }
        out
    }

    #[test]
    fn matches_the_naive_dft_at_every_kind_of_length() {
        let mut rng = Rng::new(1);
        for n in [1usize, 2, 3, 4, 5, 7, 8, 12, 16, 17, 30, 64, 100, 127, 256, 400, 512, 1000] {
            let x = rng.vec(n, -1.0, 1.0);
            let mut out = vec![f32::NAN; 2 * (n / 2 + 1)];
            rfft(&x, &mut out, 1, n).unwrap();
            let want = naive(&x);
            let scale = (n as f32).sqrt();
            for (i, (&g, &w)) in out.iter().zip(&want).enumerate() {
                assert!((g - w).abs() <= 2e-5 * scale * (n as f32).log2().max(1.0), "n={n} [{i}]: {g} vs {w}");
            }
        }
    }

    #[test]
    fn pure_tone_lands_in_its_bin() {
        // cos(2π·5·j/64): all energy in bin 5 (amplitude n/2), nothing elsewhere.
        for n in [64usize, 80] {
            let x: Vec<f32> = (0..n).map(|j| (2.0 * PI * 5.0 * j as f64 / n as f64).cos() as f32).collect();
            let mut out = vec![0.0f32; 2 * (n / 2 + 1)];
            rfft(&x, &mut out, 1, n).unwrap();
            for k in 0..=n / 2 {
                let mag = (out[2 * k].powi(2) + out[2 * k + 1].powi(2)).sqrt();
                let want = if k == 5 { n as f32 / 2.0 } else { 0.0 };
                assert!((mag - want).abs() < 1e-3, "n={n} bin {k}: {mag}");
            }
        }
    }

    #[test]
    fn several_rows() {
        let mut rng = Rng::new(2);
        let (rows, n) = (3, 10);
        let x = rng.vec(rows * n, -1.0, 1.0);
        let mut out = vec![0.0f32; rows * 12];
        rfft(&x, &mut out, rows, n).unwrap();
        for r in 0..rows {
            crate::testutil::assert_close(&out[r * 12..(r + 1) * 12], &naive(&x[r * n..(r + 1) * n]), 0.0, 1e-5);
        }
    }
}

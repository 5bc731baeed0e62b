//! Band-limited resampling between integer sample rates: each output sample is the input
//! convolved with a Kaiser-windowed sinc low-pass (cut at 0.97 of the lower Nyquist frequency,
//! 24 zero crossings each side), evaluated at its exact rational position. With
//! up/down = out_rate/in_rate in lowest terms the filter has `up` phases, tabulated once.

use super::{try_vec, AudioError};

const ZERO_CROSSINGS: f64 = 24.0;
const ROLLOFF: f64 = 0.97;
const KAISER_BETA: f64 = 8.0;
/// Largest phase table (floats); beyond it taps are computed per output sample.
const MAX_TABLE: usize = 1 << 22;

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Samples of the output for `n` input samples: ceil(n·out_rate / in_rate).
pub fn resampled_len(n: usize, in_rate: u32, out_rate: u32) -> usize {
    ((n as u64 * out_rate as u64).div_ceil(in_rate.max(1) as u64)) as usize
}

/// The modified Bessel function I0 by its power series.
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, q) = (1.0, 1.0, x * x / 4.0);
    let mut k = 1.0;
    while term > 1e-14 * sum {
        term *= q / (k * k);
        sum += term;
        k += 1.0;
    }
    sum
}

struct Filter {
    /// Cut-off as a fraction of the input's Nyquist frequency.
    fc: f64,
    /// Taps reach this many input samples either side.
    half: usize,
    i0_beta: f64,
}

impl Filter {
    /// The tap for an input sample `d` input periods from the output position.
    fn tap(&self, d: f64) -> f64 {
        let reach = ZERO_CROSSINGS / self.fc;
        if d.abs() >= reach {
            return 0.0;
        }
        let x = self.fc * d;
        let sinc = if x == 0.0 { 1.0 } else { (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x) };
        let r = d / reach;
        self.fc * sinc * bessel_i0(KAISER_BETA * (1.0 - r * r).sqrt()) / self.i0_beta
    }
}

/// out (resampled_len(x.len(), …) samples) = x resampled from in_rate to out_rate (Hz, > 0).
pub fn resample(x: &[f32], out: &mut [f32], in_rate: u32, out_rate: u32) -> Result<(), AudioError> {
    resample_with(x, out, in_rate, out_rate, MAX_TABLE)
}

fn resample_with(x: &[f32], out: &mut [f32], in_rate: u32, out_rate: u32, max_table: usize) -> Result<(), AudioError> {
    if in_rate == 0 || out_rate == 0 || out.len() != resampled_len(x.len(), in_rate, out_rate) {
        return Err(AudioError::BadArguments);
    }
    if in_rate == out_rate {
        out.copy_from_slice(x);
        return Ok(());
    }
    let g = gcd(in_rate as u64, out_rate as u64);
    let (up, down) = (out_rate as u64 / g, in_rate as u64 / g);
    let fc = ROLLOFF * (up as f64 / down as f64).min(1.0);
    let half = (ZERO_CROSSINGS / fc).ceil() as usize;
    let f = Filter { fc, half, i0_beta: bessel_i0(KAISER_BETA) };
    let width = 2 * half;
    let n = x.len() as i64;
    // Output j sits at input position (j·down)/up = i0 + phase/up; tap m (input i0 + m − half + 1)
    // is h(phase/up − (m − half + 1)).
    let table = if (up as usize).saturating_mul(width) <= max_table {
        let mut t = try_vec(up as usize * width, 0.0f32)?;
        for p in 0..up as usize {
            for m in 0..width {
                let d = p as f64 / up as f64 - (m as f64 - half as f64 + 1.0);
                t[p * width + m] = f.tap(d) as f32;
            }
        }
        Some(t)
    } else {
        None
    };
    let mut taps = try_vec(width, 0.0f32)?;
    for (j, o) in out.iter_mut().enumerate() {
        let pos = j as u64 * down;
        let (i0, phase) = ((pos / up) as i64, (pos % up) as usize);
        let h: &[f32] = match &table {
            Some(t) => &t[phase * width..(phase + 1) * width],
            None => {
                for (m, tap) in taps.iter_mut().enumerate() {
                    *tap = f.tap(phase as f64 / up as f64 - (m as f64 - half as f64 + 1.0)) as f32;
                }
                &taps
            }
        };
        let first = i0 - f.half as i64 + 1;
        let (lo, hi) = ((-first).max(0) as usize, ((n - first).max(0) as usize).min(width));
        let mut acc = 0.0f32;
        for m in lo..hi {
            acc += h[m] * x[(first + m as i64) as usize];
        }
        *o = acc;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn tone(n: usize, f: f64, sr: f64) -> Vec<f32> {
        (0..n).map(|j| (2.0 * PI * f * j as f64 / sr).sin() as f32).collect()
    }

    /// Amplitude of a sinusoid of frequency f in y (least squares on sin and cos), away from the ends.
    fn amplitude(y: &[f32], f: f64, sr: f64) -> f64 {
        let (a, b) = (y.len() / 4, 3 * y.len() / 4);
        let (mut s, mut c) = (0.0, 0.0);
        for (j, &v) in y.iter().enumerate().take(b).skip(a) {
            let ph = 2.0 * PI * f * j as f64 / sr;
            s += v as f64 * ph.sin();
            c += v as f64 * ph.cos();
        }
        2.0 * (s * s + c * c).sqrt() / (b - a) as f64
    }

    #[test]
    fn lengths() {
        assert_eq!(resampled_len(22050, 22050, 8000), 8000);
        assert_eq!(resampled_len(1, 22050, 8000), 1);
        assert_eq!(resampled_len(0, 22050, 8000), 0);
        assert_eq!(resampled_len(3, 8000, 16000), 6);
        assert_eq!(resampled_len(7, 3, 2), 5);
    }

    #[test]
    fn keeps_in_band_tones_and_removes_aliases() {
        for &(sr_in, sr_out) in &[(22050u32, 8000u32), (16000, 8000), (8000, 16000), (44100, 16000), (16000, 22050)] {
            let n = sr_in as usize / 2;
            let low = tone(n, 440.0, sr_in as f64);
            let mut y = vec![0.0f32; resampled_len(n, sr_in, sr_out)];
            resample(&low, &mut y, sr_in, sr_out).unwrap();
            // Same phase at the same time: compare sample by sample away from the ends.
            let want = tone(y.len(), 440.0, sr_out as f64);
            for j in y.len() / 4..3 * y.len() / 4 {
                assert!((y[j] - want[j]).abs() < 2e-3, "{sr_in}->{sr_out} [{j}]: {} vs {}", y[j], want[j]);
            }
            if sr_out < sr_in {
                // A tone above the new Nyquist frequency must not alias into the output.
                let hi_f = 0.5 * (sr_out as f64 / 2.0 + sr_in as f64 / 2.0);
                let high = tone(n, hi_f, sr_in as f64);
                resample(&high, &mut y, sr_in, sr_out).unwrap();
                let alias = sr_out as f64 - hi_f % sr_out as f64;
                let rms = (y[y.len() / 4..3 * y.len() / 4].iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / (y.len() / 2) as f64).sqrt();
                assert!(rms < 1e-3 && amplitude(&y, alias, sr_out as f64) < 1e-3, "{sr_in}->{sr_out}: rms {rms}");
            }
        }
    }

    #[test]
    fn identity_and_dc() {
        let x: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let mut y = vec![0.0f32; 100];
        resample(&x, &mut y, 8000, 8000).unwrap();
        assert_eq!(x, y);
        let dc = vec![0.5f32; 3000];
        let mut z = vec![0.0f32; resampled_len(3000, 12000, 7000)];
        resample(&dc, &mut z, 12000, 7000).unwrap();
        for v in &z[z.len() / 4..3 * z.len() / 4] {
            assert!((v - 0.5).abs() < 1e-3, "{v}");
        }
        assert_eq!(resample(&x, &mut y, 0, 8000), Err(AudioError::BadArguments));
        assert_eq!(resample(&x, &mut y[..50], 8000, 16000), Err(AudioError::BadArguments));
    }

    #[test]
    fn untabulated_ratio_matches_the_table() {
        // 9973 and 10007 are prime: 10007 phases. Both paths must agree.
        let x = tone(300, 300.0, 9973.0);
        let len = resampled_len(300, 9973, 10007);
        let (mut y, mut z) = (vec![0.0f32; len], vec![0.0f32; len]);
        resample_with(&x, &mut y, 9973, 10007, MAX_TABLE).unwrap();
        resample_with(&x, &mut z, 9973, 10007, 0).unwrap();
        crate::testutil::assert_close(&z, &y, 0.0, 1e-6);
        let want = tone(len, 300.0, 10007.0);
        for j in 80..220 {
            assert!((y[j] - want[j]).abs() < 2e-3, "[{j}] {} vs {}", y[j], want[j]);
        }
    }
}

//! The DCT-II of MFCCs, scaled as tf.signal.mfccs_from_log_mel_spectrograms:
//! y[k] = √(2/N) · Σ_n x[n]·cos(π·k·(2n + 1) / (2N)), for the first K coefficients.

use super::{try_vec, AudioError};

/// out [rows, k] = the first k DCT-II coefficients of each row of x [rows, n]; k ≤ n.
pub fn dct(x: &[f32], out: &mut [f32], rows: usize, n: usize, k: usize) -> Result<(), AudioError> {
    if k > n {
        return Err(AudioError::BadArguments);
    }
    // cos table [k, n], in f64 then rounded once.
    let mut table = try_vec(k * n, 0.0f32)?;
    let scale = (2.0 / n as f64).sqrt();
    for q in 0..k {
        for j in 0..n {
            let a = std::f64::consts::PI * (q * (2 * j + 1)) as f64 / (2 * n) as f64;
            table[q * n + j] = (scale * a.cos()) as f32;
        }
    }
    // Threads: bands of rows (each coefficient is the same sum in any band).
    let work = crate::parallel::element_ns(rows * n * k);
    crate::parallel::for_each_row_band(&mut out[..rows * k], rows, k, work, |band, o| {
        for (i, r) in band.enumerate() {
            let xr = &x[r * n..(r + 1) * n];
            for q in 0..k {
                o[i * k + q] = xr.iter().zip(&table[q * n..(q + 1) * n]).map(|(a, b)| a * b).sum();
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};

    #[test]
    fn constant_rows_have_only_a_dc_coefficient() {
        let n = 7;
        let x = vec![2.0f32; n];
        let mut out = vec![f32::NAN; 5];
        dct(&x, &mut out, 1, n, 5).unwrap();
        let want0 = (2.0 / n as f32).sqrt() * 2.0 * n as f32;
        assert_close(&out, &[want0, 0.0, 0.0, 0.0, 0.0], 1e-6, 1e-5);
    }

    #[test]
    fn matches_the_definition() {
        let mut rng = Rng::new(4);
        for (rows, n, k) in [(1usize, 1usize, 1usize), (3, 5, 5), (2, 13, 4), (4, 40, 13)] {
            let x = rng.vec(rows * n, -3.0, 3.0);
            let mut out = vec![0.0f32; rows * k];
            dct(&x, &mut out, rows, n, k).unwrap();
            let mut want = vec![0.0f32; rows * k];
            for r in 0..rows {
                for q in 0..k {
                    let s: f64 = (0..n)
                        .map(|j| x[r * n + j] as f64 * (std::f64::consts::PI * q as f64 * (2 * j + 1) as f64 / (2 * n) as f64).cos())
                        .sum();
                    want[r * k + q] = ((2.0 / n as f64).sqrt() * s) as f32;
                }
            }
            assert_close(&out, &want, 1e-5, 1e-5);
        }
        assert_eq!(dct(&[0.0; 4], &mut [0.0; 5], 1, 4, 5), Err(AudioError::BadArguments));
    }
}

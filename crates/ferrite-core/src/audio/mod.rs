//! Audio preprocessing for speech models: resampling, windows, the real FFT, spectrograms,
//! mel filterbanks and the DCT of MFCCs. Conventions follow TensorFlow's `tf.signal`
//! (periodic Hann window, HTK mel scale, `mfccs_from_log_mel_spectrograms` scaling) so that
//! features computed here match features computed there.

pub mod dct;
pub mod fft;
pub mod mel;
pub mod resample;
pub mod spectrogram;

#[derive(Debug, PartialEq, Eq)]
pub enum AudioError {
    /// Sizes or parameters out of range (each function documents its own).
    BadArguments,
    OutOfMemory,
}

/// A vector of `n` copies of `v`, or OutOfMemory instead of aborting.
pub(crate) fn try_vec<T: Clone>(n: usize, v: T) -> Result<Vec<T>, AudioError> {
    let mut out = Vec::new();
    out.try_reserve_exact(n).map_err(|_| AudioError::OutOfMemory)?;
    out.resize(n, v);
    Ok(out)
}

/// The Hann window of `out.len()` points: 0.5 − 0.5·cos(2πi/N), with N = len (periodic, the
/// default of tf.signal.hann_window, for spectral analysis) or len − 1 (symmetric).
pub fn hann_window(out: &mut [f32], periodic: bool) {
    let n = out.len();
    if n == 1 {
        out[0] = 1.0;
        return;
    }
    let denom = if periodic { n } else { n - 1 } as f64;
    for (i, w) in out.iter_mut().enumerate() {
        *w = (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / denom).cos()) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hann_window_values() {
        let mut w = [0.0f32; 4];
        hann_window(&mut w, true);
        assert_eq!(w, [0.0, 0.5, 1.0, 0.5]);
        let mut s = [0.0f32; 5];
        hann_window(&mut s, false);
        crate::testutil::assert_close(&s, &[0.0, 0.5, 1.0, 0.5, 0.0], 0.0, 1e-7);
        let mut one = [0.0f32; 1];
        hann_window(&mut one, true);
        assert_eq!(one, [1.0]);
        hann_window(&mut [], true);
    }
}

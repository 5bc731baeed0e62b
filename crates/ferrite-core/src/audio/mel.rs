//! Mel filterbanks, as tf.signal.linear_to_mel_weight_matrix: the HTK mel scale
//! mel(f) = 1127·ln(1 + f/700); `num_mel_bins` triangles whose edges are equally spaced in mel
//! between `lower_hz` and `upper_hz` (band i spans edges i, i + 1, i + 2); each spectrogram bin
//! k (frequency k·(sr/2)/(bins − 1)) gets the triangle's value at its mel frequency; the DC bin
//! gets no weight.

use super::AudioError;

pub fn hz_to_mel(f: f64) -> f64 {
    1127.0 * (1.0 + f / 700.0).ln()
}

pub fn mel_to_hz(m: f64) -> f64 {
    700.0 * ((m / 1127.0).exp() - 1.0)
}

/// out [num_spectrogram_bins, num_mel_bins]: the weight of each spectrogram bin in each band.
/// Needs bins ≥ 2, mel bins ≥ 1, sample_rate > 0, 0 ≤ lower_hz < upper_hz ≤ sample_rate / 2.
pub fn mel_weight_matrix(
    out: &mut [f32], num_spectrogram_bins: usize, num_mel_bins: usize, sample_rate: f64, lower_hz: f64, upper_hz: f64,
) -> Result<(), AudioError> {
    let ok = num_spectrogram_bins >= 2
        && num_mel_bins >= 1
        && sample_rate > 0.0
        && lower_hz >= 0.0
        && lower_hz < upper_hz
        && upper_hz <= sample_rate / 2.0 + 1e-9;
    if !ok || out.len() < num_spectrogram_bins * num_mel_bins {
        return Err(AudioError::BadArguments);
    }
    let nyquist = sample_rate / 2.0;
    let (lo, hi) = (hz_to_mel(lower_hz), hz_to_mel(upper_hz));
    let edge = |i: usize| lo + (hi - lo) * i as f64 / (num_mel_bins + 1) as f64;
    out[..num_mel_bins].fill(0.0); // DC
    for k in 1..num_spectrogram_bins {
        let mel = hz_to_mel(nyquist * k as f64 / (num_spectrogram_bins - 1) as f64);
        let row = &mut out[k * num_mel_bins..(k + 1) * num_mel_bins];
        for (i, w) in row.iter_mut().enumerate() {
            let (l, c, u) = (edge(i), edge(i + 1), edge(i + 2));
            let rise = (mel - l) / (c - l);
            let fall = (u - mel) / (u - c);
            *w = rise.min(fall).max(0.0) as f32;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_scale_round_trips() {
        for f in [0.0, 100.0, 700.0, 1000.0, 4000.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(f)) - f).abs() < 1e-9);
        }
        // 700 Hz is 1127·ln 2 mel.
        assert!((hz_to_mel(700.0) - 1127.0 * 2f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn triangles_peak_at_their_centres() {
        let (bins, mels, sr) = (257usize, 10usize, 16000.0);
        let mut w = vec![0.0f32; bins * mels];
        mel_weight_matrix(&mut w, bins, mels, sr, 0.0, 8000.0).unwrap();
        assert!(w[..mels].iter().all(|&v| v == 0.0), "DC row");
        let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(8000.0));
        for i in 0..mels {
            // The bin nearest the band's centre carries (nearly) its peak weight of 1, and
            // the band is zero outside its edges.
            let centre = mel_to_hz(lo + (hi - lo) * (i + 1) as f64 / (mels + 1) as f64);
            let k = (centre / 8000.0 * (bins - 1) as f64).round() as usize;
            let peak = (1..bins).map(|k| w[k * mels + i]).fold(0.0f32, f32::max);
            assert!((w[k * mels + i] - peak).abs() < 1e-6, "band {i}");
            assert!(peak > 0.9 && peak <= 1.0);
            let lower = mel_to_hz(lo + (hi - lo) * i as f64 / (mels + 1) as f64);
            let upper = mel_to_hz(lo + (hi - lo) * (i + 2) as f64 / (mels + 1) as f64);
            for k in 1..bins {
                let f = 8000.0 * k as f64 / (bins - 1) as f64;
                if f <= lower || f >= upper {
                    assert_eq!(w[k * mels + i], 0.0, "band {i} bin {k}");
                }
            }
        }
        // Between two centres the two overlapping triangles sum to 1.
        for k in 1..bins {
            let f = 8000.0 * k as f64 / (bins - 1) as f64;
            let m = hz_to_mel(f);
            let first_c = lo + (hi - lo) / (mels + 1) as f64;
            let last_c = lo + (hi - lo) * mels as f64 / (mels + 1) as f64;
            if m > first_c && m < last_c {
                let s: f32 = w[k * mels..(k + 1) * mels].iter().sum();
                assert!((s - 1.0).abs() < 1e-5, "bin {k}: {s}");
            }
        }
    }

    #[test]
    fn rejects_bad_arguments() {
        let mut w = vec![0.0f32; 100];
        assert_eq!(mel_weight_matrix(&mut w, 10, 4, 8000.0, 300.0, 200.0), Err(AudioError::BadArguments));
        assert_eq!(mel_weight_matrix(&mut w, 10, 4, 8000.0, 0.0, 4500.0), Err(AudioError::BadArguments));
        assert_eq!(mel_weight_matrix(&mut w, 1, 4, 8000.0, 0.0, 4000.0), Err(AudioError::BadArguments));
        assert_eq!(mel_weight_matrix(&mut w, 10, 20, 8000.0, 0.0, 4000.0), Err(AudioError::BadArguments));
    }
}

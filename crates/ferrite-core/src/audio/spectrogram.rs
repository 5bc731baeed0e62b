//! Spectrograms: frames of a signal, windowed, zero-padded to the FFT length, transformed and
//! reduced to magnitude (power 1) or power (power 2) per frequency bin — the |tf.signal.stft|
//! of TensorFlow, without materialising the complex frames.

use super::fft::RealFft;
use super::{try_vec, AudioError};
use crate::parallel;
use std::sync::atomic::{AtomicBool, Ordering};

/// The framing of one call. Frame f starts at sample f·frame_step; samples past the signal
/// are zeros (tf.signal.frame's pad_end).
#[derive(Clone, Copy, Debug)]
pub struct SpectrogramGeom {
    /// Signals, each `signal_len` samples, contiguous.
    pub batch: usize,
    pub signal_len: usize,
    pub frame_length: usize,
    pub frame_step: usize,
    pub fft_length: usize,
    /// Frames per signal.
    pub frames: usize,
    /// 1: magnitude |X|; 2: power |X|².
    pub power: u32,
}

pub const SPECTROGRAM_GEOM_LEN: usize = 7;

impl SpectrogramGeom {
    pub fn from_i32(v: &[i32]) -> Option<Self> {
        if v.len() < SPECTROGRAM_GEOM_LEN || v[..SPECTROGRAM_GEOM_LEN].iter().any(|&x| x < 0) {
            return None;
        }
        let u = |i: usize| v[i] as usize;
        let g = SpectrogramGeom {
            batch: u(0), signal_len: u(1), frame_length: u(2), frame_step: u(3), fft_length: u(4), frames: u(5),
            power: v[6] as u32,
        };
        g.valid().then_some(g)
    }

    pub fn valid(&self) -> bool {
        self.frame_length >= 1
            && self.frame_step >= 1
            && self.fft_length >= self.frame_length
            && (self.power == 1 || self.power == 2)
    }

    pub fn bins(&self) -> usize {
        self.fft_length / 2 + 1
    }

    pub fn out_len(&self) -> usize {
        self.batch * self.frames * self.bins()
    }
}

/// out [batch, frames, bins] = |rfft(window ⊙ frame)|^power; `window` (frame_length values)
/// None is rectangular.
pub fn spectrogram(g: &SpectrogramGeom, signal: &[f32], window: Option<&[f32]>, out: &mut [f32]) -> Result<(), AudioError> {
    if !g.valid() || window.is_some_and(|w| w.len() < g.frame_length) {
        return Err(AudioError::BadArguments);
    }
    let fft = RealFft::new(g.fft_length)?;
    let bins = g.bins();
    let rows = g.batch * g.frames;
    let out = &mut out[..rows * bins];
    // Threads: bands of frames (rows of out), each with its own buffers; frames are
    // independent, so any cut gives the same bits.
    let work = parallel::element_ns(rows * g.fft_length * 16);
    let failed = AtomicBool::new(false);
    parallel::for_each_row_band(out, rows, bins, work, |frames, band| {
        let bufs = (try_vec(g.fft_length, 0.0f32), try_vec(fft.out_len(), 0.0f32), try_vec(fft.scratch_len(), 0.0f32));
        let (Ok(mut buf), Ok(mut spec), Ok(mut scratch)) = bufs else {
            failed.store(true, Ordering::Relaxed);
            return;
        };
        for (i, fr) in frames.enumerate() {
            let (b, f) = (fr / g.frames, fr % g.frames);
            let sig = &signal[b * g.signal_len..(b + 1) * g.signal_len];
            let start = f * g.frame_step;
            let have = g.signal_len.saturating_sub(start).min(g.frame_length);
            buf.fill(0.0);
            match window {
                Some(w) => {
                    for i in 0..have {
                        buf[i] = sig[start + i] * w[i];
                    }
                }
                None => buf[..have].copy_from_slice(&sig[start..start + have]),
            }
            fft.process(&buf, &mut spec, &mut scratch);
            let row = &mut band[i * bins..(i + 1) * bins];
            for (k, o) in row.iter_mut().enumerate() {
                let p = spec[2 * k] * spec[2 * k] + spec[2 * k + 1] * spec[2 * k + 1];
                *o = if g.power == 2 { p } else { p.sqrt() };
            }
        }
    });
    if failed.load(Ordering::Relaxed) {
        return Err(AudioError::OutOfMemory);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::hann_window;
    use crate::testutil::Rng;
    use std::f64::consts::PI;

    #[test]
    fn pure_tone_peaks_in_its_bin_in_every_frame() {
        // 1 kHz at 8 kHz with a 256-point FFT: bin 32 exactly.
        let (sr, n) = (8000.0, 2000usize);
        let x: Vec<f32> = (0..n).map(|j| (2.0 * PI * 1000.0 * j as f64 / sr).sin() as f32).collect();
        let mut w = vec![0.0f32; 200];
        hann_window(&mut w, true);
        let g = SpectrogramGeom { batch: 1, signal_len: n, frame_length: 200, frame_step: 80, fft_length: 256, frames: 23, power: 2 };
        let mut out = vec![0.0f32; g.out_len()];
        spectrogram(&g, &x, Some(&w), &mut out).unwrap();
        for f in 0..g.frames {
            let row = &out[f * 129..(f + 1) * 129];
            let best = (0..129).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
            assert_eq!(best, 32, "frame {f}");
            // Power at the peak: (Σw / 2)² for a unit sine (the Hann sum is 100 over 200 points).
            assert!((row[32] - 2500.0).abs() < 2500.0 * 0.02, "frame {f}: {}", row[32]);
        }
    }

    #[test]
    fn matches_a_naive_dft_with_padding_and_batches() {
        let mut rng = Rng::new(9);
        for &(batch, len, fl, step, nfft, frames, power) in
            &[(2usize, 50usize, 12usize, 5usize, 16usize, 10usize, 2u32), (1, 9, 9, 3, 9, 3, 1), (3, 7, 4, 4, 5, 2, 2), (1, 3, 5, 2, 6, 2, 1)]
        {
            let x = rng.vec(batch * len, -1.0, 1.0);
            let w = rng.vec(fl, 0.0, 1.0);
            let g = SpectrogramGeom { batch, signal_len: len, frame_length: fl, frame_step: step, fft_length: nfft, frames, power };
            let mut out = vec![0.0f32; g.out_len()];
            spectrogram(&g, &x, Some(&w), &mut out).unwrap();
            let bins = nfft / 2 + 1;
            for b in 0..batch {
                for f in 0..frames {
                    for k in 0..bins {
                        let (mut re, mut im) = (0.0f64, 0.0f64);
                        for i in 0..fl {
                            let j = f * step + i;
                            if j >= len {
                                continue;
                            }
                            let v = x[b * len + j] as f64 * w[i] as f64;
                            let a = -2.0 * PI * (i * k) as f64 / nfft as f64;
                            re += v * a.cos();
                            im += v * a.sin();
                        }
                        let p = re * re + im * im;
                        let want = if power == 2 { p } else { p.sqrt() };
                        let got = out[(b * frames + f) * bins + k] as f64;
                        assert!((got - want).abs() < 1e-4 * want.max(1.0), "{b} {f} {k}: {got} vs {want}");
                    }
                }
            }
        }
        let bad = SpectrogramGeom { batch: 1, signal_len: 4, frame_length: 8, frame_step: 1, fft_length: 4, frames: 1, power: 2 };
        assert_eq!(spectrogram(&bad, &[0.0; 4], None, &mut [0.0; 3]), Err(AudioError::BadArguments));
    }
}

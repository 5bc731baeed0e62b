//! The C ABI of the audio preprocessing kernels (ferrite_core::audio). Each returns 0 on
//! success, −1 for arguments out of range (nothing written) and −2 when scratch memory cannot
//! be had.

use crate::mem::{slice, slice_mut};
use ferrite_core::audio::spectrogram::{SpectrogramGeom, SPECTROGRAM_GEOM_LEN};
use ferrite_core::audio::{self, dct, fft, mel, resample, AudioError};

fn status(r: Result<(), AudioError>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(AudioError::BadArguments) => -1,
        Err(AudioError::OutOfMemory) => -2,
    }
}

/// out [n] = the Hann window (periodic = 1: N = n, as tf.signal.hann_window; 0: N = n − 1).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_hann_window(out: u32, n: u32, periodic: u32) {
    audio::hann_window(unsafe { slice_mut(out, n as usize) }, periodic != 0);
}

/// out [rows, n/2 + 1, 2] (re, im) = the real FFT of each row of x [rows, n].
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_rfft(x: u32, out: u32, rows: u32, n: u32) -> i32 {
    let (r, n) = (rows as usize, n as usize);
    unsafe { status(fft::rfft(slice(x, r * n), slice_mut(out, r * 2 * (n / 2 + 1)), r, n)) }
}

/// geom: i32 [batch, signal_len, frame_length, frame_step, fft_length, frames, power].
/// out [batch, frames, fft_length/2 + 1] = |rfft(window ⊙ frame)|^power (window 0: none).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_spectrogram(signal: u32, window: u32, out: u32, geom: u32) -> i32 {
    unsafe {
        let Some(g) = SpectrogramGeom::from_i32(slice::<i32>(geom, SPECTROGRAM_GEOM_LEN)) else { return -1 };
        let w = (window != 0).then(|| slice(window, g.frame_length));
        status(audio::spectrogram::spectrogram(&g, slice(signal, g.batch * g.signal_len), w, slice_mut(out, g.out_len())))
    }
}

/// out [bins, mels] = tf.signal.linear_to_mel_weight_matrix(mels, bins, sample_rate, lower, upper).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_mel_weight_matrix(out: u32, bins: u32, mels: u32, sample_rate: f64, lower_hz: f64, upper_hz: f64) -> i32 {
    let (b, m) = (bins as usize, mels as usize);
    unsafe { status(mel::mel_weight_matrix(slice_mut(out, b * m), b, m, sample_rate, lower_hz, upper_hz)) }
}

/// out [rows, k] = the first k DCT-II coefficients (MFCC scaling √(2/n)) of x [rows, n].
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_dct(x: u32, out: u32, rows: u32, n: u32, k: u32) -> i32 {
    let (r, n, k) = (rows as usize, n as usize, k as usize);
    if k > n {
        return -1;
    }
    unsafe { status(dct::dct(slice(x, r * n), slice_mut(out, r * k), r, n, k)) }
}

/// out [ceil(n·out_rate/in_rate)] = x [n] resampled from in_rate to out_rate (Hz).
#[unsafe(no_mangle)]
pub extern "C" fn ferrite_resample(x: u32, n: u32, out: u32, in_rate: u32, out_rate: u32) -> i32 {
    if in_rate == 0 || out_rate == 0 {
        return -1;
    }
    let n = n as usize;
    let m = resample::resampled_len(n, in_rate, out_rate);
    unsafe { status(resample::resample(slice(x, n), slice_mut(out, m), in_rate, out_rate)) }
}

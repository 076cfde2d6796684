//! The UCI handwritten digits shipped inside the binary: 1797 grayscale
//! images of 8×8 pixels with their labels, a real image data set small
//! enough to train on in seconds.

use crate::error::{Error, Result};
use crate::tensor::{Device, Tensor};
use std::io::Read;

/// `data/digits/digits.csv.gz`: one image a line, 64 pixels 0..16 then the label.
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../data/digits/digits.csv.gz");

/// The number of images in the set.
const COUNT: usize = 1797;

/// The UCI handwritten digits: images `f32` `[1797, 1, 8, 8]` with pixel
/// values 0..16 mapped to [-1, 1] (`v / 8 - 1`), and labels `i64` `[1797]`
/// (0..9), both on the CPU.
///
/// Source: E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten
/// Digits", UCI Machine Learning Repository, 1998,
/// <https://doi.org/10.24432/C50P49> (the test set, as scikit-learn ships it).
/// Licence: CC BY 4.0.
pub fn digits() -> Result<(Tensor, Tensor)> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(DIGITS_CSV_GZ)
        .read_to_string(&mut text)
        .map_err(|e| Error::new(format!("the embedded digits data cannot be unpacked: {e}")))?;
    let mut pixels = Vec::with_capacity(COUNT * 64);
    let mut labels = Vec::with_capacity(COUNT);
    for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [image @ .., label] = fields.as_slice() else {
            crate::bail!("the embedded digits data is corrupt: line {} is empty", i + 1);
        };
        if image.len() != 64 {
            crate::bail!(
                "the embedded digits data is corrupt: line {} has {} fields, expected 65",
                i + 1,
                fields.len()
            );
        }
        for field in image {
            match field.parse::<u8>() {
                Ok(v) if v <= 16 => pixels.push(f32::from(v) / 8.0 - 1.0),
                _ => crate::bail!("the embedded digits data is corrupt: line {} has pixel {field:?}", i + 1),
            }
        }
        match label.parse::<i64>() {
            Ok(v) if (0..10).contains(&v) => labels.push(v),
            _ => crate::bail!("the embedded digits data is corrupt: line {} has label {label:?}", i + 1),
        }
    }
    if labels.len() != COUNT {
        crate::bail!("the embedded digits data is corrupt: {} images, expected {COUNT}", labels.len());
    }
    let images = candle_core::Tensor::from_vec(pixels, (COUNT, 1, 8, 8), &Device::Cpu)?;
    let labels = candle_core::Tensor::from_vec(labels, COUNT, &Device::Cpu)?;
    Ok((Tensor::from_candle(images), Tensor::from_candle(labels)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::DType;

    #[test]
    fn digits_have_the_documented_shape_range_and_labels() {
        let (x, y) = digits().unwrap();
        assert_eq!((x.dims(), x.dtype()), (&[1797usize, 1, 8, 8][..], DType::F32));
        assert_eq!((y.dims(), y.dtype()), (&[1797usize][..], DType::I64));
        let v = x.to_f64_vec().unwrap();
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!((min, max), (-1.0, 1.0));
        let first_row: Vec<f64> = [0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0].iter().map(|p| p / 8.0 - 1.0).collect();
        assert_eq!(v[..8], first_row[..]);
        let labels = y.to_f64_vec().unwrap();
        assert_eq!(labels[0], 0.0);
        for digit in 0..10 {
            assert!(labels.contains(&(digit as f64)), "no image of {digit}");
        }
    }
}

//! Loaders for data on disk: NumPy `.npy` (read and write), numeric `.csv`,
//! folders of PNG images, and MNIST-style IDX files (plain or gzipped).
//!
//! Every loader returns tensors on the CPU; errors name the file and what
//! was wrong with it instead of panicking.

use crate::error::{Error, Result};
use crate::tensor::shape::fmt_dims;
use crate::tensor::{DType, Device, Tensor};
use candle_core::WithDType;
use std::io::Read;
use std::path::Path;

/// The `.npy` element types [`load_npy`] reads, as listed in its errors.
const NPY_DESCRS: &str = "<f4 <f8 <f2 <i8 <i4 <i2 |i1 |u1 <u4 |b1";

/// The first bytes of every `.npy` file.
const NPY_MAGIC: &[u8] = b"\x93NUMPY";

/// Reads a NumPy `.npy` file (format versions 1, 2 and 3) into a CPU tensor.
///
/// Little-endian `<f4` and `<f2` give `f32`, `<f8` gives `f64`, the signed
/// integers `<i8 <i4 <i2 |i1` give `i64`, `|u1` and `|b1` give `u8`, and `<u4`
/// gives `u32`. Arrays must be in C order (Fortran order is accepted only for
/// 0-d and 1-d arrays, where the two agree); shape `()` gives a 0-d tensor.
pub fn load_npy(path: &Path) -> Result<Tensor> {
    let bytes = read_file(path)?;
    parse_npy(&bytes).map_err(|e| e.context(path.display()))
}

fn parse_npy(bytes: &[u8]) -> Result<Tensor> {
    if bytes.len() < 10 || !bytes.starts_with(NPY_MAGIC) {
        crate::bail!("not a .npy file (it does not start with \\x93NUMPY)");
    }
    let (len_bytes, start) = match bytes[6] {
        1 => (2, 10),
        2 | 3 => (4, 12),
        major => crate::bail!("unsupported .npy format version {major}.{}; supported: 1, 2, 3", bytes[7]),
    };
    if bytes.len() < start {
        crate::bail!("truncated .npy header");
    }
    let header_len = bytes[8..8 + len_bytes].iter().rev().fold(0usize, |acc, &b| (acc << 8) | b as usize);
    let data_start = start + header_len;
    if bytes.len() < data_start {
        crate::bail!("truncated .npy header: it claims {header_len} bytes, the file has {}", bytes.len() - start);
    }
    let header = NpyHeader::parse(&String::from_utf8_lossy(&bytes[start..data_start]))?;
    if header.fortran_order && header.shape.len() > 1 {
        crate::bail!(
            "Fortran-order arrays of shape {} are not supported; save with np.ascontiguousarray first",
            fmt_dims(&header.shape)
        );
    }
    let data = &bytes[data_start..];
    let shape = header.shape.as_slice();
    let count = element_count(shape)?;
    // One-byte types have no byte order: accept any prefix for them.
    let descr = match header.descr.split_at_checked(1) {
        Some((order, kind)) if "<>=|".contains(order) && ["i1", "u1", "b1"].contains(&kind) => format!("|{kind}"),
        _ => header.descr.clone(),
    };
    match descr.as_str() {
        "<f4" => cpu_tensor(decode(data, count, f32::from_le_bytes)?, shape),
        "<f8" => cpu_tensor(decode(data, count, f64::from_le_bytes)?, shape),
        "<f2" => cpu_tensor(decode(data, count, |b| f16_to_f32(u16::from_le_bytes(b)))?, shape),
        "<i8" => cpu_tensor(decode(data, count, i64::from_le_bytes)?, shape),
        "<i4" => cpu_tensor(decode(data, count, |b| i32::from_le_bytes(b) as i64)?, shape),
        "<i2" => cpu_tensor(decode(data, count, |b| i16::from_le_bytes(b) as i64)?, shape),
        "|i1" => cpu_tensor(decode(data, count, |b: [u8; 1]| b[0] as i8 as i64)?, shape),
        "|u1" => cpu_tensor(decode(data, count, |b: [u8; 1]| b[0])?, shape),
        "|b1" => cpu_tensor(decode(data, count, |b: [u8; 1]| u8::from(b[0] != 0))?, shape),
        "<u4" => cpu_tensor(decode(data, count, u32::from_le_bytes)?, shape),
        other => crate::bail!("unsupported dtype '{other}'; supported: {NPY_DESCRS}"),
    }
}

/// The three fields of a `.npy` header dictionary.
struct NpyHeader {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

impl NpyHeader {
    fn parse(text: &str) -> Result<Self> {
        let fields = PyParser { text: text.trim().as_bytes(), pos: 0, depth: 0 }.dict()?;
        let field = |name: &str| {
            fields
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value)
                .ok_or_else(|| Error::new(format!("the .npy header has no '{name}' entry: {}", text.trim())))
        };
        let descr = match field("descr")? {
            PyValue::Str(s) => s.clone(),
            _ => crate::bail!("structured dtypes are not supported; supported: {NPY_DESCRS}"),
        };
        let fortran_order = match field("fortran_order")? {
            PyValue::Bool(b) => *b,
            _ => crate::bail!("the .npy header's 'fortran_order' is not True or False"),
        };
        let shape = match field("shape")? {
            PyValue::Seq(items) => items
                .iter()
                .map(|item| match item {
                    PyValue::Int(n) => Ok(*n),
                    _ => Err(Error::new("the .npy header's 'shape' holds something other than integers")),
                })
                .collect::<Result<Vec<usize>>>()?,
            _ => crate::bail!("the .npy header's 'shape' is not a tuple"),
        };
        Ok(Self { descr, fortran_order, shape })
    }
}

/// A Python literal as it appears in a `.npy` header.
enum PyValue {
    Str(String),
    Bool(bool),
    Int(usize),
    Seq(Vec<PyValue>),
}

/// A parser for the small subset of Python literal syntax `.npy` headers use.
struct PyParser<'a> {
    text: &'a [u8],
    pos: usize,
    /// How many tuples or lists enclose the current position.
    depth: usize,
}

/// The deepest tuple nesting a `.npy` header may have (a real one has 1).
const MAX_HEADER_NESTING: usize = 8;

impl PyParser<'_> {
    fn peek(&mut self) -> Option<u8> {
        while self.text.get(self.pos).is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
        self.text.get(self.pos).copied()
    }

    fn fail<T>(&self, expected: &str) -> Result<T> {
        let text = String::from_utf8_lossy(self.text);
        let shown: String = text.chars().take(120).collect();
        let more = if text.chars().count() > 120 { " …" } else { "" };
        crate::bail!("cannot read the .npy header: expected {expected} at character {} of {shown}{more}", self.pos + 1)
    }

    fn eat(&mut self, c: u8) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.pos += 1;
        }
        found
    }

    fn dict(&mut self) -> Result<Vec<(String, PyValue)>> {
        if !self.eat(b'{') {
            return self.fail("'{'");
        }
        let mut entries = Vec::new();
        while !self.eat(b'}') {
            let key = match self.value()? {
                PyValue::Str(key) => key,
                _ => return self.fail("a string key"),
            };
            if !self.eat(b':') {
                return self.fail("':'");
            }
            entries.push((key, self.value()?));
            if !self.eat(b',') && self.peek() != Some(b'}') {
                return self.fail("',' or '}'");
            }
        }
        Ok(entries)
    }

    fn value(&mut self) -> Result<PyValue> {
        match self.peek() {
            Some(quote @ (b'\'' | b'"')) => {
                let start = self.pos + 1;
                match self.text[start..].iter().position(|&c| c == quote) {
                    Some(len) => {
                        self.pos = start + len + 1;
                        Ok(PyValue::Str(String::from_utf8_lossy(&self.text[start..start + len]).into_owned()))
                    }
                    None => self.fail("a closing quote"),
                }
            }
            Some(open @ (b'(' | b'[')) => {
                if self.depth == MAX_HEADER_NESTING {
                    return self.fail(&format!("at most {MAX_HEADER_NESTING} nested tuples"));
                }
                self.depth += 1;
                self.pos += 1;
                let close = if open == b'(' { b')' } else { b']' };
                let mut items = Vec::new();
                while !self.eat(close) {
                    items.push(self.value()?);
                    if !self.eat(b',') && self.peek() != Some(close) {
                        return self.fail("',' or the end of the sequence");
                    }
                }
                self.depth -= 1;
                Ok(PyValue::Seq(items))
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.pos;
                while self.text.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    self.pos += 1;
                }
                let digits = String::from_utf8_lossy(&self.text[start..self.pos]).into_owned();
                // Python 2 wrote long integers with an `L` suffix.
                if self.text.get(self.pos) == Some(&b'L') {
                    self.pos += 1;
                }
                match digits.parse() {
                    Ok(n) => Ok(PyValue::Int(n)),
                    Err(_) => self.fail("a dimension that fits in memory"),
                }
            }
            _ if self.text[self.pos..].starts_with(b"True") => {
                self.pos += 4;
                Ok(PyValue::Bool(true))
            }
            _ if self.text[self.pos..].starts_with(b"False") => {
                self.pos += 5;
                Ok(PyValue::Bool(false))
            }
            _ => self.fail("a string, number, tuple, True or False"),
        }
    }
}

/// Converts IEEE half-precision bits to `f32` (exactly: every `f16` is an `f32`).
fn f16_to_f32(bits: u16) -> f32 {
    let exponent = u32::from((bits >> 10) & 0x1f);
    let fraction = u32::from(bits & 0x3ff);
    let magnitude = match exponent {
        0 => fraction as f32 * 2f32.powi(-24),
        0x1f if fraction == 0 => f32::INFINITY,
        0x1f => f32::NAN,
        _ => f32::from_bits(((exponent + 112) << 23) | (fraction << 13)),
    };
    if bits & 0x8000 != 0 {
        -magnitude
    } else {
        magnitude
    }
}

/// Writes `t` as a version 1.0 `.npy` file in C order, atomically
/// ([`crate::atomic_file::write_atomically`]).
///
/// `f32`, `f64`, `i64`, `i32`, `i16`, `u8` and `u32` keep their type; the
/// other float types (`f16`, `bf16`, ...) are written as `<f4`.
pub fn save_npy(path: &Path, t: &Tensor) -> Result<()> {
    let bytes = npy_bytes(t).map_err(|e| e.context(path.display()))?;
    crate::atomic_file::write_atomically(path, &bytes)
}

fn npy_bytes(t: &Tensor) -> Result<Vec<u8>> {
    let flat = t.candle().to_device(&Device::Cpu)?.flatten_all()?;
    let (descr, data): (&str, Vec<u8>) = match flat.dtype() {
        DType::F64 => ("<f8", le_bytes(flat.to_vec1::<f64>()?, f64::to_le_bytes)),
        DType::I64 => ("<i8", le_bytes(flat.to_vec1::<i64>()?, i64::to_le_bytes)),
        DType::I32 => ("<i4", le_bytes(flat.to_vec1::<i32>()?, i32::to_le_bytes)),
        DType::I16 => ("<i2", le_bytes(flat.to_vec1::<i16>()?, i16::to_le_bytes)),
        DType::U32 => ("<u4", le_bytes(flat.to_vec1::<u32>()?, u32::to_le_bytes)),
        DType::U8 => ("|u1", flat.to_vec1::<u8>()?),
        _ => ("<f4", le_bytes(flat.to_dtype(DType::F32)?.to_vec1::<f32>()?, f32::to_le_bytes)),
    };
    let shape = match t.dims() {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        dims => format!("({})", dims.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // Magic (6) + version (2) + length (2) + header, padded to a multiple of 64 ending in '\n'.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let Ok(header_len) = u16::try_from(header.len()) else {
        crate::bail!("shape {} is too long for a version 1.0 .npy header", fmt_dims(t.dims()));
    };
    let mut bytes = Vec::with_capacity(10 + header.len() + data.len());
    bytes.extend_from_slice(NPY_MAGIC);
    bytes.extend_from_slice(&[1, 0]);
    bytes.extend_from_slice(&header_len.to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&data);
    Ok(bytes)
}

fn le_bytes<T, const N: usize>(values: Vec<T>, to_bytes: fn(T) -> [u8; N]) -> Vec<u8> {
    values.into_iter().flat_map(to_bytes).collect()
}

/// Reads a numeric CSV file into an `f32` CPU tensor of shape `[rows, columns]`.
///
/// Fields are separated by commas; when the first line has no comma, by `;`,
/// then tabs, then any whitespace. Blank lines are skipped. `header`:
/// `Some(true)` skips the first line, `Some(false)` reads it as data, `None`
/// treats it as a header when any of its fields is not a number.
pub fn load_csv(path: &Path, header: Option<bool>) -> Result<Tensor> {
    let text = super::read::read_text(path)?;
    let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line.trim())).filter(|(_, l)| !l.is_empty());
    let Some(first) = lines.clone().next() else {
        crate::bail!("{}: the file is empty", path.display());
    };
    let separator = [',', ';', '\t'].into_iter().find(|&c| first.1.contains(c));
    let split = |line: &str| -> Vec<String> {
        match separator {
            Some(c) => line.split(c).map(|f| f.trim().to_string()).collect(),
            None => line.split_whitespace().map(str::to_string).collect(),
        }
    };
    let skip_first = header.unwrap_or_else(|| split(first.1).iter().any(|f| f.parse::<f64>().is_err()));
    if skip_first {
        lines.next();
    }
    let mut values = Vec::new();
    let mut width: Option<(usize, usize)> = None;
    let mut rows = 0;
    for (number, line) in lines {
        let fields = split(line);
        match width {
            None => width = Some((fields.len(), number)),
            Some((cols, first_line)) if cols != fields.len() => crate::bail!(
                "{}:{number}: {} fields, expected {cols} like line {first_line}",
                path.display(),
                fields.len()
            ),
            Some(_) => {}
        }
        for (i, field) in fields.iter().enumerate() {
            match field.parse::<f64>() {
                Ok(v) => values.push(v as f32),
                Err(_) => crate::bail!("{}:{number}: field {} is {field:?}, not a number", path.display(), i + 1),
            }
        }
        rows += 1;
    }
    let Some((cols, _)) = width else {
        crate::bail!("{}: no data rows after the header", path.display());
    };
    cpu_tensor(values, &[rows, cols])
}

/// How [`load_image_folder`] shapes the images it reads.
#[derive(Clone, Debug, Default)]
pub struct ImageFolderOptions {
    /// Resize every image to `(width, height)` (triangle filter); when `None`
    /// all images must already have the same size.
    pub size: Option<(u32, u32)>,
    /// 1 for grayscale, 3 for RGB; when `None`, 1 if every image is grayscale, else 3.
    pub channels: Option<u32>,
}

/// Reads every `.png` file of a folder (not its subfolders), in file-name
/// order, into an `f32` CPU tensor `[N, C, H, W]` with values scaled from
/// 0..255 to [-1, 1].
pub fn load_image_folder(dir: &Path, opts: &ImageFolderOptions) -> Result<Tensor> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::new(format!("{}: cannot read the folder: {e}", dir.display())))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::new(format!("{}: cannot read the folder: {e}", dir.display())))?.path();
        if path.is_file() && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) {
            files.push(path);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    if files.is_empty() {
        crate::bail!("{}: no .png files in the folder", dir.display());
    }
    if let Some((w, h)) = opts.size {
        if w == 0 || h == 0 {
            crate::bail!("image size must be positive, got {w}×{h}");
        }
    }
    // First pass: read only the headers, to check sizes and choose the channels.
    let mut all_gray = true;
    let mut first_size = None;
    for path in &files {
        let (size, color) = png_header(path)?;
        all_gray &= !color.has_color();
        match first_size {
            None => first_size = Some(size),
            Some(first) if opts.size.is_none() && size != first => crate::bail!(
                "{}: the image is {}×{} but {} is {}×{}; give a size to resize them all",
                path.display(),
                size.0,
                size.1,
                files[0].display(),
                first.0,
                first.1
            ),
            Some(_) => {}
        }
    }
    let channels = match opts.channels {
        Some(c @ (1 | 3)) => c as usize,
        Some(c) => crate::bail!("channels must be 1 (grayscale) or 3 (RGB), got {c}"),
        None if all_gray => 1,
        None => 3,
    };
    let (width, height) = opts.size.or(first_size).unwrap_or_default();
    let shape = [files.len(), channels, height as usize, width as usize];
    // the decoded image and its resized copy, 4 bytes a pixel each, come on top of the tensor
    crate::memory::check(crate::memory::elements(&shape)?.saturating_add(8 * width as usize * height as usize), 4)?;
    let mut values = Vec::with_capacity(crate::memory::elements(&shape)?);
    for path in &files {
        crate::interrupt::check()?;
        let mut image = image::open(path).map_err(|e| Error::new(format!("{}: cannot decode: {e}", path.display())))?;
        if image.width() != width || image.height() != height {
            image = image.resize_exact(width, height, image::imageops::FilterType::Triangle);
        }
        let pixels = if channels == 1 { image.to_luma8().into_raw() } else { image.to_rgb8().into_raw() };
        for c in 0..channels {
            values.extend(pixels.iter().skip(c).step_by(channels).map(|&v| f32::from(v) / 127.5 - 1.0));
        }
    }
    cpu_tensor(values, &shape)
}

/// The size and colour type of a PNG file, read from its header only.
fn png_header(path: &Path) -> Result<((u32, u32), image::ColorType)> {
    use image::ImageDecoder;
    let cannot = |e: &dyn std::fmt::Display| Error::new(format!("{}: cannot decode: {e}", path.display()));
    let decoder = image::ImageReader::open(path)
        .map_err(|e| cannot(&e))?
        .with_guessed_format()
        .map_err(|e| cannot(&e))?
        .into_decoder()
        .map_err(|e| cannot(&e))?;
    Ok((decoder.dimensions(), decoder.color_type()))
}

/// Reads an IDX file (the MNIST format), gunzipping it first when it is gzipped.
///
/// Unsigned bytes give a `u8` tensor, the signed integer types `i64`, and the
/// float types `f32` and `f64`. Data is big-endian, as the format requires.
pub fn load_idx(path: &Path) -> Result<Tensor> {
    let mut bytes = read_file(path)?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        bytes = gunzip_idx(&bytes).map_err(|e| e.context(format!("{}: cannot gunzip", path.display())))?;
    }
    parse_idx(&bytes).map_err(|e| e.context(path.display()))
}

/// Decompresses a gzipped IDX file no further than its header says it reaches (plus one
/// byte, to tell a longer stream), so a small file that inflates without end is an
/// error, not a process that runs out of memory.
fn gunzip_idx(gz: &[u8]) -> Result<Vec<u8>> {
    let mut stream = flate2::read::GzDecoder::new(gz);
    let mut plain = vec![0u8; 4];
    stream.read_exact(&mut plain).map_err(|e| Error::new(format!("the IDX header is missing: {e}")))?;
    let ndims = plain[3] as usize;
    let mut dims = vec![0u8; 4 * ndims];
    stream.read_exact(&mut dims).map_err(|e| Error::new(format!("the IDX header is truncated: {e}")))?;
    plain.extend_from_slice(&dims);
    let shape: Vec<usize> =
        dims.chunks_exact(4).map(|d| u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as usize).collect();
    let element_bytes = match plain[2] {
        0x08 | 0x09 => 1,
        0x0B => 2,
        0x0C | 0x0D => 4,
        _ => 8,
    };
    let count = crate::memory::elements(&shape)?;
    crate::memory::check(count, element_bytes)?;
    let claimed = (count * element_bytes) as u64;
    let mut data = Vec::with_capacity(claimed as usize);
    let mut limited = stream.take(claimed + 1);
    loop {
        crate::interrupt::check()?;
        let read = (&mut limited).take(1 << 20).read_to_end(&mut data).map_err(|e| Error::new(e.to_string()))?;
        if read == 0 {
            break;
        }
    }
    if data.len() as u64 > claimed {
        crate::bail!("it inflates past the {claimed} data bytes its header claims for shape {}", fmt_dims(&shape));
    }
    plain.extend_from_slice(&data);
    Ok(plain)
}

fn parse_idx(bytes: &[u8]) -> Result<Tensor> {
    let [0, 0, kind, ndims, ..] = *bytes else {
        crate::bail!("not an IDX file (it does not start with two zero bytes, a type and a rank)");
    };
    let dims_end = 4 + 4 * ndims as usize;
    if bytes.len() < dims_end {
        crate::bail!("truncated IDX header: {ndims} dimensions need {dims_end} bytes, the file has {}", bytes.len());
    }
    let shape: Vec<usize> =
        bytes[4..dims_end].chunks_exact(4).map(|d| u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as usize).collect();
    let count = element_count(&shape)?;
    let data = &bytes[dims_end..];
    match kind {
        0x08 => cpu_tensor(decode(data, count, |b: [u8; 1]| b[0])?, &shape),
        0x09 => cpu_tensor(decode(data, count, |b: [u8; 1]| b[0] as i8 as i64)?, &shape),
        0x0B => cpu_tensor(decode(data, count, |b| i16::from_be_bytes(b) as i64)?, &shape),
        0x0C => cpu_tensor(decode(data, count, |b| i32::from_be_bytes(b) as i64)?, &shape),
        0x0D => cpu_tensor(decode(data, count, f32::from_be_bytes)?, &shape),
        0x0E => cpu_tensor(decode(data, count, f64::from_be_bytes)?, &shape),
        other => crate::bail!(
            "unknown IDX type byte 0x{other:02X}; expected 0x08 (u8), 0x09 (i8), 0x0B (i16), 0x0C (i32), 0x0D (f32) or 0x0E (f64)"
        ),
    }
}

/// Reads MNIST-style IDX files: images `[N, H, W]` of unsigned bytes become
/// `f32` `[N, 1, H, W]` scaled to [-1, 1]; the optional labels `[N]` become `i64` `[N]`.
pub fn load_mnist(images: &Path, labels: Option<&Path>) -> Result<(Tensor, Option<Tensor>)> {
    let raw = load_idx(images)?;
    let &[n, h, w] = raw.dims() else {
        crate::bail!(
            "{}: MNIST images must have 3 dimensions [N, H, W], got shape {}",
            images.display(),
            fmt_dims(raw.dims())
        );
    };
    if raw.dtype() != DType::U8 {
        crate::bail!(
            "{}: MNIST images must be unsigned bytes (IDX type 0x08), got {}",
            images.display(),
            raw.dtype().as_str()
        );
    }
    let pixels = raw.candle().flatten_all()?.to_vec1::<u8>()?;
    let x = cpu_tensor(pixels.into_iter().map(|v| f32::from(v) / 127.5 - 1.0).collect(), &[n, 1, h, w])?;
    let y = match labels {
        None => None,
        Some(path) => {
            let y = load_idx(path)?;
            match *y.dims() {
                [m] if m == n => {}
                [m] => crate::bail!("{} has {m} labels but {} has {n} images", path.display(), images.display()),
                _ => crate::bail!(
                    "{}: MNIST labels must have 1 dimension [N], got shape {}",
                    path.display(),
                    fmt_dims(y.dims())
                ),
            }
            if y.is_float() {
                crate::bail!("{}: MNIST labels must be integers, got {}", path.display(), y.dtype().as_str());
            }
            Some(Tensor::from_candle(y.candle().to_dtype(DType::I64)?))
        }
    };
    Ok((x, y))
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    super::read::read_bounded(path)
}

/// The number of elements of `shape`, or an error when it overflows.
fn element_count(shape: &[usize]) -> Result<usize> {
    crate::memory::elements(shape)
}

/// Decodes exactly `count` elements of `N` bytes each from `data`.
fn decode<T, const N: usize>(data: &[u8], count: usize, from_bytes: impl Fn([u8; N]) -> T) -> Result<Vec<T>> {
    if count.checked_mul(N) != Some(data.len()) {
        crate::bail!(
            "truncated or corrupt data: {count} elements of {N} bytes need {} bytes, the file has {}",
            count.saturating_mul(N),
            data.len()
        );
    }
    Ok(data
        .chunks_exact(N)
        .map(|chunk| {
            let mut bytes = [0u8; N];
            bytes.copy_from_slice(chunk);
            from_bytes(bytes)
        })
        .collect())
}

fn cpu_tensor<T: WithDType>(values: Vec<T>, shape: &[usize]) -> Result<Tensor> {
    Ok(Tensor::from_candle(candle_core::Tensor::from_vec(values, shape, &Device::Cpu)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn values(t: &Tensor) -> Vec<f64> {
        t.to_f64_vec().unwrap()
    }

    /// A version 1.0 `.npy` file with the given header dictionary and data.
    fn npy_file(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut header = dict.to_string();
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut bytes = NPY_MAGIC.to_vec();
        bytes.extend_from_slice(&[1, 0]);
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    #[test]
    fn npy_round_trips_f32_f64_i64() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.npy");
        let cases = [
            candle_core::Tensor::new(&[[1.5f32, -2.0, 3.25], [0.0, 4.0, -0.5]], &Device::Cpu).unwrap(),
            candle_core::Tensor::new(&[0.1f64, 1e300, -7.0], &Device::Cpu).unwrap(),
            candle_core::Tensor::new(&[[[1i64 << 40]], [[-3]]], &Device::Cpu).unwrap(),
            candle_core::Tensor::new(2.5f64, &Device::Cpu).unwrap(),
        ];
        for case in cases {
            let t = Tensor::from_candle(case);
            save_npy(&path, &t).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
            assert_eq!((10 + header_len) % 64, 0);
            assert_eq!(bytes[10 + header_len - 1], b'\n');
            let back = load_npy(&path).unwrap();
            assert_eq!(back.dims(), t.dims());
            assert_eq!(back.dtype(), t.dtype());
            assert_eq!(values(&back), values(&t));
        }
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("a.npy")], "no temporary file is left");
    }

    #[test]
    fn npy_hand_built_headers_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ints.npy");
        let data: Vec<u8> = [1i32, -2, 3, 40000].iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&path, npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", &data)).unwrap();
        let t = load_npy(&path).unwrap();
        assert_eq!((t.dims(), t.dtype()), (&[2usize, 2][..], DType::I64));
        assert_eq!(values(&t), vec![1.0, -2.0, 3.0, 40000.0]);

        let halves: Vec<u8> = [0x3C00u16, 0xC000, 0x3800].iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&path, npy_file("{'descr': '<f2', 'fortran_order': True, 'shape': (3,)}", &halves)).unwrap();
        let t = load_npy(&path).unwrap();
        assert_eq!((t.dims(), t.dtype()), (&[3usize][..], DType::F32));
        assert_eq!(values(&t), vec![1.0, -2.0, 0.5]);

        let truncated = npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", &data[..10]);
        std::fs::write(&path, truncated).unwrap();
        let err = load_npy(&path).unwrap_err().to_string();
        assert!(err.contains("ints.npy") && err.contains("truncated"), "{err}");

        std::fs::write(&path, &npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", &data)[..30])
            .unwrap();
        let err = load_npy(&path).unwrap_err().to_string();
        assert!(err.contains("ints.npy") && err.contains("truncated .npy header"), "{err}");

        std::fs::write(&path, npy_file("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", &[0; 8])).unwrap();
        let err = load_npy(&path).unwrap_err().to_string();
        assert!(err.contains("unsupported dtype '<c8'; supported: <f4"), "{err}");

        std::fs::write(&path, npy_file("{'descr': '<f8', 'fortran_order': True, 'shape': (1, 1), }", &[0; 8])).unwrap();
        assert!(load_npy(&path).unwrap_err().to_string().contains("Fortran-order"));

        std::fs::write(&path, b"PK\x03\x04 not numpy").unwrap();
        assert!(load_npy(&path).unwrap_err().to_string().contains("not a .npy file"));
    }

    #[test]
    fn csv_with_and_without_header_and_bad_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "a,b,c\n1,2,3\n\n4, 5.5 ,-6\n").unwrap();
        let t = load_csv(&path, None).unwrap();
        assert_eq!(t.dims(), &[2, 3]);
        assert_eq!(t.dtype(), DType::F32);
        assert_eq!(values(&t), vec![1.0, 2.0, 3.0, 4.0, 5.5, -6.0]);

        std::fs::write(&path, "1\t2\n3\t4\n").unwrap();
        assert_eq!(values(&load_csv(&path, None).unwrap()), vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(load_csv(&path, Some(true)).unwrap().dims(), &[1, 2]);
        std::fs::write(&path, "1 2\n3   4\n").unwrap();
        assert_eq!(load_csv(&path, Some(false)).unwrap().dims(), &[2, 2]);
        std::fs::write(&path, "7\n8\n9\n").unwrap();
        assert_eq!(load_csv(&path, None).unwrap().dims(), &[3, 1]);

        std::fs::write(&path, "1,2,3\n4,5,6\n7,8,abc\n").unwrap();
        let err = load_csv(&path, None).unwrap_err().to_string();
        assert!(err.ends_with("x.csv:3: field 3 is \"abc\", not a number"), "{err}");
        std::fs::write(&path, "1,2,3,4\n5,6,7\n").unwrap();
        let err = load_csv(&path, None).unwrap_err().to_string();
        assert!(err.ends_with("x.csv:2: 3 fields, expected 4 like line 1"), "{err}");
        std::fs::write(&path, "a,b\n").unwrap();
        assert!(load_csv(&path, None).unwrap_err().to_string().contains("no data rows"));
    }

    #[test]
    fn png_folders_load_scaled_and_check_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let mut white = image::GrayImage::new(3, 2);
        white.put_pixel(0, 0, image::Luma([255]));
        white.save(dir.path().join("b.png")).unwrap();
        let mut colour = image::RgbImage::new(3, 2);
        colour.put_pixel(2, 1, image::Rgb([255, 0, 255]));
        colour.save(dir.path().join("a.png")).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();

        let t = load_image_folder(dir.path(), &ImageFolderOptions::default()).unwrap();
        assert_eq!((t.dims(), t.dtype()), (&[2usize, 3, 2, 3][..], DType::F32));
        let v = values(&t);
        // a.png comes first: its bottom-right pixel is magenta.
        assert_eq!([v[5], v[6 + 5], v[12 + 5]], [1.0, -1.0, 1.0]);
        assert_eq!(v[0], -1.0);
        // b.png: its top-left pixel is white in every channel.
        assert_eq!([v[18], v[24], v[30]], [1.0, 1.0, 1.0]);
        assert_eq!(v[19], -1.0);

        let gray =
            load_image_folder(dir.path(), &ImageFolderOptions { size: Some((6, 4)), channels: Some(1) }).unwrap();
        assert_eq!(gray.dims(), &[2, 1, 4, 6]);
        assert!(values(&gray).iter().all(|v| (-1.0..=1.0).contains(v)));

        image::GrayImage::new(4, 4).save(dir.path().join("c.png")).unwrap();
        let err = load_image_folder(dir.path(), &ImageFolderOptions::default()).unwrap_err().to_string();
        assert!(err.contains("c.png: the image is 4×4 but") && err.contains("a.png is 3×2"), "{err}");

        let empty = tempfile::tempdir().unwrap();
        assert!(load_image_folder(empty.path(), &ImageFolderOptions::default())
            .unwrap_err()
            .to_string()
            .contains("no .png files"));
    }

    /// An IDX file of the given type byte, dimensions and big-endian data.
    fn idx_file(kind: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, kind, dims.len() as u8];
        for d in dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(data);
        bytes
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn idx_files_plain_and_gzipped() {
        let dir = tempfile::tempdir().unwrap();
        let images = idx_file(0x08, &[2, 2, 3], &[0, 255, 51, 102, 153, 204, 255, 0, 0, 0, 0, 0]);
        let plain = dir.path().join("images.idx");
        let zipped = dir.path().join("images.idx.gz");
        std::fs::write(&plain, &images).unwrap();
        std::fs::write(&zipped, gzip(&images)).unwrap();
        for path in [&plain, &zipped] {
            let t = load_idx(path).unwrap();
            assert_eq!((t.dims(), t.dtype()), (&[2usize, 2, 3][..], DType::U8));
            assert_eq!(values(&t)[..3], [0.0, 255.0, 51.0]);
        }
        let ints: Vec<u8> = [-5i32, 70000].iter().flat_map(|v| v.to_be_bytes()).collect();
        let path = dir.path().join("ints.idx");
        std::fs::write(&path, idx_file(0x0C, &[2], &ints)).unwrap();
        let t = load_idx(&path).unwrap();
        assert_eq!((t.dtype(), values(&t)), (DType::I64, vec![-5.0, 70000.0]));
        let floats: Vec<u8> = [0.25f64].iter().flat_map(|v| v.to_be_bytes()).collect();
        std::fs::write(&path, idx_file(0x0E, &[1, 1], &floats)).unwrap();
        assert_eq!(load_idx(&path).unwrap().dtype(), DType::F64);

        std::fs::write(&path, &images[..images.len() - 1]).unwrap();
        let err = load_idx(&path).unwrap_err().to_string();
        assert!(err.contains("ints.idx") && err.contains("truncated"), "{err}");
        std::fs::write(&path, idx_file(0x07, &[1], &[0])).unwrap();
        assert!(load_idx(&path).unwrap_err().to_string().contains("unknown IDX type byte 0x07"));
    }

    #[test]
    fn mnist_images_and_labels() {
        let dir = tempfile::tempdir().unwrap();
        let images = dir.path().join("train-images-idx3-ubyte.gz");
        let labels = dir.path().join("train-labels-idx1-ubyte");
        std::fs::write(&images, gzip(&idx_file(0x08, &[2, 1, 2], &[0, 255, 255, 0]))).unwrap();
        std::fs::write(&labels, idx_file(0x08, &[2], &[7, 3])).unwrap();
        let (x, y) = load_mnist(&images, Some(&labels)).unwrap();
        assert_eq!((x.dims(), x.dtype()), (&[2usize, 1, 1, 2][..], DType::F32));
        assert_eq!(values(&x), vec![-1.0, 1.0, 1.0, -1.0]);
        let y = y.unwrap();
        assert_eq!((y.dims(), y.dtype(), values(&y)), (&[2usize][..], DType::I64, vec![7.0, 3.0]));
        assert!(load_mnist(&images, None).unwrap().1.is_none());

        std::fs::write(&labels, idx_file(0x08, &[3], &[7, 3, 1])).unwrap();
        assert!(load_mnist(&images, Some(&labels)).unwrap_err().to_string().contains("has 3 labels but"));
        std::fs::write(&labels, idx_file(0x08, &[2, 1], &[7, 3])).unwrap();
        assert!(load_mnist(&images, Some(&labels)).unwrap_err().to_string().contains("must have 1 dimension"));
        assert!(load_mnist(&labels, None).unwrap_err().to_string().contains("must have 3 dimensions"));
    }
}

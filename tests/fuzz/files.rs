//! Corrupt files, written into a folder of the run, and the cases that load them: `.npy`
//! headers that lie or nest, IDX files (MNIST) whose header claims more than they hold and a
//! gzip bomb, CSVs with a BOM, safetensors files with a lying header length or odd dtypes,
//! checkpoints whose architecture asks for enormous layers, PNG folders, deep JSON.

use super::generate::{Case, Part};
use super::values::quote;
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::{Compress, Compression, Crc, FlushCompress};
use serde_json::{json, Value as Json};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The corrupt files of a run, by name, in `dir`.
pub struct Files {
    /// The folder.
    pub dir: PathBuf,
    /// Every file (and folder) name, for the string pools.
    pub names: Vec<String>,
}

impl Files {
    /// The absolute path of `name`.
    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    /// Every path, absolute.
    pub fn paths(&self) -> Vec<String> {
        self.names.iter().map(|n| self.path(n)).collect()
    }

    fn write(&mut self, name: &str, bytes: &[u8]) {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        let top = name.split('/').next().unwrap_or(name).to_string();
        if !self.names.contains(&top) {
            self.names.push(top);
        }
    }
}

/// A `.npy` file (version 1 or 2) with `header` as its dictionary text and `data` after it.
pub fn npy(header: &str, data: &[u8], version: u8) -> Vec<u8> {
    let mut h = header.to_string();
    let prefix = if version == 1 { 10 } else { 12 };
    while (prefix + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY".to_vec();
    out.push(version);
    out.push(0);
    if version == 1 {
        out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(h.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out
}

fn npy_dict(descr: &str, shape: &str) -> String {
    format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}")
}

/// gzip of `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

/// Deflates `input` with `flush`, appending to `out` until the compressor has nothing left.
fn deflate_into(c: &mut Compress, mut input: &[u8], flush: FlushCompress, out: &mut Vec<u8>) {
    loop {
        out.reserve(64 * 1024);
        let before = c.total_in();
        let status = c.compress_vec(input, out, flush).expect("deflate");
        input = &input[(c.total_in() - before) as usize..];
        if matches!(status, flate2::Status::StreamEnd) || (input.is_empty() && out.len() < out.capacity()) {
            return;
        }
    }
}

/// A gzip stream of `head` followed by `zeros` zero bytes, built from one compressed MiB
/// repeated (a full flush makes each copy independent), so a few MB decompress to GBs.
pub fn gzip_bomb(head: &[u8], zeros: u64) -> Vec<u8> {
    const MIB: usize = 1 << 20;
    let mut c = Compress::new(Compression::best(), false);
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    deflate_into(&mut c, head, FlushCompress::Full, &mut out);
    let chunk = vec![0u8; MIB];
    let mut block = Vec::new();
    deflate_into(&mut c, &chunk, FlushCompress::Full, &mut block);
    let copies = zeros / MIB as u64;
    let mut crc = Crc::new();
    crc.update(head);
    for _ in 0..copies {
        out.extend_from_slice(&block);
        crc.update(&chunk);
    }
    deflate_into(&mut c, &[], FlushCompress::Finish, &mut out);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    let size = head.len() as u64 + copies * MIB as u64;
    out.extend_from_slice(&(size as u32).to_le_bytes());
    out
}

/// An IDX header: the type code, then each dimension (big-endian).
pub fn idx(type_code: u8, dims: &[u32]) -> Vec<u8> {
    let mut out = vec![0, 0, type_code, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out
}

/// A safetensors file from its header (as JSON) and data.
pub fn safetensors(header: &Json, data: &[u8]) -> Vec<u8> {
    let text = header.to_string();
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(data);
    out
}

/// Splits a safetensors file into its header and data.
pub fn split_safetensors(bytes: &[u8]) -> Option<(Json, Vec<u8>)> {
    let n = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    let header = serde_json::from_slice(bytes.get(8..8 + n)?).ok()?;
    Some((header, bytes[8 + n..].to_vec()))
}

/// A PNG image: `raw` is the filtered scanlines (a filter byte before each row).
pub fn png(width: u32, height: u32, bit_depth: u8, color_type: u8, raw: &[u8]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, color_type, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    z.write_all(raw).expect("zlib");
    chunk(&mut out, b"IDAT", &z.finish().expect("zlib"));
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A gray 8-bit `w`×`h` PNG.
fn gray_png(w: u32, h: u32) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0);
        raw.extend((0..w).map(|x| ((x * 37 + y * 11) % 256) as u8));
    }
    png(w, h, 8, 0, &raw)
}

/// Writes every corrupt file into `dir`; `originals` holds files the binary saved itself
/// (checkpoints), which are mutated.
pub fn make(dir: &Path, originals: &Path) -> Files {
    let mut f = Files { dir: dir.to_path_buf(), names: Vec::new() };
    std::fs::create_dir_all(dir).expect("create files folder");
    make_npy(&mut f);
    make_idx(&mut f);
    make_csv(&mut f);
    make_safetensors(&mut f);
    make_checkpoints(&mut f, originals);
    make_png(&mut f);
    make_json(&mut f);
    f
}

fn make_npy(f: &mut Files) {
    let parens = |n: usize| format!("{}{}", "(".repeat(n), ")".repeat(n));
    f.write("npy_parens.npy", &npy(&npy_dict("<f4", &parens(20000)), &[0; 16], 1));
    f.write("npy_parens_v2.npy", &npy(&npy_dict("<f4", &parens(300000)), &[0; 16], 2));
    f.write("npy_brackets.npy", &npy(&npy_dict("<f4", &format!("({},)", "[".repeat(50000))), &[0; 16], 1));
    f.write("npy_shape_vs_data.npy", &npy(&npy_dict("<f4", "(1000, 1000)"), &[0; 16], 1));
    f.write("npy_huge_shape.npy", &npy(&npy_dict("<f4", "(4294967296, 4294967296)"), &[0; 16], 1));
    f.write("npy_overflow_shape.npy", &npy(&npy_dict("<f8", "(9223372036854775807, 3)"), &[0; 16], 1));
    f.write("npy_zero_times_huge.npy", &npy(&npy_dict("<f4", "(0, 18446744073709551615)"), &[], 1));
    f.write("npy_negative_shape.npy", &npy(&npy_dict("<f4", "(-1,)"), &[0; 16], 1));
    f.write("npy_many_dims.npy", &npy(&npy_dict("<f4", &format!("({})", "1, ".repeat(5000))), &[0; 4], 1));
    f.write("npy_object.npy", &npy(&npy_dict("|O", "(2,)"), &[0; 16], 1));
    f.write("npy_unicode.npy", &npy(&npy_dict("<U4", "(2,)"), &[0; 32], 1));
    f.write("npy_complex.npy", &npy(&npy_dict("<c8", "(2,)"), &[0; 16], 1));
    f.write(
        "npy_big_endian.npy",
        &npy(&npy_dict(">f8", "(2,)"), &[0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0], 1),
    );
    f.write("npy_fortran.npy", &npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", &[0; 24], 1));
    f.write("npy_bool.npy", &npy(&npy_dict("|b1", "(3,)"), &[1, 0, 2], 1));
    f.write("npy_u1.npy", &npy(&npy_dict("|u1", "(4,)"), &[1, 2, 3, 255], 1));
    f.write("npy_nested_dict.npy", &npy(&format!("{}{}", "{'a': ".repeat(20000), "}".repeat(20000)), &[], 1));
    f.write("npy_no_dict.npy", &npy("hello", &[], 1));
    let good = npy(&npy_dict("<f4", "(100,)"), &[0; 400], 1);
    f.write("npy_truncated_header.npy", &good[..20]);
    f.write("npy_truncated_data.npy", &good[..good.len() - 390]);
    f.write("npy_magic_only.npy", b"\x93NUMPY");
    let mut lying = b"\x93NUMPY\x02\x00".to_vec();
    lying.extend_from_slice(&u32::MAX.to_le_bytes());
    lying.extend_from_slice(b"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n");
    f.write("npy_header_len_lies.npy", &lying);
    f.write("npy_version_9.npy", &{
        let mut v = good.clone();
        v[6] = 9;
        v
    });
}

fn make_idx(f: &mut Files) {
    let mut huge = idx(0x08, &[0x7fff_ffff, 28, 28]);
    huge.extend_from_slice(&[7; 784]);
    f.write("idx_huge_count.gz", &gzip(&huge));
    f.write("idx_huge_count", &huge);
    let mut rows = idx(0x08, &[1, 65536, 65536]);
    rows.extend_from_slice(&[0; 64]);
    f.write("idx_huge_rows.gz", &gzip(&rows));
    f.write("idx_bomb.gz", &gzip_bomb(&idx(0x08, &[1, 28, 28]), 3 << 30));
    f.write("idx_bomb_labels.gz", &gzip_bomb(&idx(0x08, &[1]), 3 << 30));
    let mut many = vec![0, 0, 0x08, 0xff];
    many.extend(std::iter::repeat_n(0xffu8, 255 * 4));
    f.write("idx_255_dims.gz", &gzip(&many));
    f.write("idx_truncated.gz", &gzip(&[0, 0, 8, 3, 0, 0]));
    f.write("idx_float.gz", &gzip(&[idx(0x0d, &[1, 28, 28]), vec![0; 784 * 4]].concat()));
    f.write("idx_bad_type.gz", &gzip(&[idx(0x42, &[1, 28, 28]), vec![0; 784]].concat()));
    f.write("idx_zero_dims.gz", &gzip(&idx(0x08, &[0, 0, 0])));
    f.write("idx_one_image.gz", &gzip(&[idx(0x08, &[1, 28, 28]), vec![128; 784]].concat()));
    f.write("idx_five_labels.gz", &gzip(&[idx(0x08, &[5]), vec![1; 5]].concat()));
    f.write("idx_labels_huge.gz", &gzip(&[idx(0x08, &[0x7fff_ffff]), vec![1; 5]].concat()));
    f.write("idx_not_gzip.gz", b"\x1f\x8b\x08\x00garbage that is not deflate");
    let mut cut = gzip(&[idx(0x08, &[1, 28, 28]), vec![3; 784]].concat());
    cut.truncate(cut.len() / 2);
    f.write("idx_cut.gz", &cut);
}

fn make_csv(f: &mut Files) {
    f.write("csv_bom.csv", "\u{feff}a,b\n1,2\n3,4\n".as_bytes());
    f.write("csv_bom_numbers.csv", "\u{feff}1,2\n3,4\n".as_bytes());
    f.write("csv_ragged.csv", b"1,2,3\n4\n5,6\n");
    f.write("csv_nan.csv", b"nan,inf\n-inf,1e999\n");
    f.write("csv_empty.csv", b"");
    f.write("csv_header_only.csv", b"a,b,c\n");
    f.write("csv_wide.csv", format!("{}1\n", "1,".repeat(200_000)).as_bytes());
    f.write("csv_binary.csv", &(0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect::<Vec<_>>());
    f.write("csv_quotes.csv", b"\"1,2\",\"3\n4,5\n");
    f.write("csv_crlf.csv", b"1,2\r\n3,4\r\n");
    f.write("csv_semicolons.csv", b"1;2\n3;4\n");
    f.write("csv_long_line.csv", &vec![b'1'; 4 << 20]);
}

fn make_safetensors(f: &mut Files) {
    let tensor = |dtype: &str, shape: Json, end: usize| json!({ "x": { "dtype": dtype, "shape": shape, "data_offsets": [0, end] } });
    let mut lie = (1u64 << 63).to_le_bytes().to_vec();
    lie.extend_from_slice(b"{}");
    f.write("st_len_huge.safetensors", &lie);
    let mut longer = 1000u64.to_le_bytes().to_vec();
    longer.extend_from_slice(br#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#);
    f.write("st_len_past_end.safetensors", &longer);
    let mut shorter = 3u64.to_le_bytes().to_vec();
    shorter.extend_from_slice(br#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#);
    f.write("st_len_short.safetensors", &shorter);
    f.write("st_tiny.safetensors", &[1, 2, 3]);
    f.write("st_f8.safetensors", &safetensors(&tensor("F8_E4M3", json!([4]), 4), &[0x38; 4]));
    f.write("st_f8_e5m2.safetensors", &safetensors(&tensor("F8_E5M2", json!([2, 2]), 4), &[0x3c; 4]));
    f.write("st_i32.safetensors", &safetensors(&tensor("I32", json!([2, 2]), 16), &[1; 16]));
    f.write("st_i16.safetensors", &safetensors(&tensor("I16", json!([4]), 8), &[1; 8]));
    f.write("st_bool.safetensors", &safetensors(&tensor("BOOL", json!([4]), 4), &[1, 0, 1, 1]));
    f.write("st_u8.safetensors", &safetensors(&tensor("U8", json!([4]), 4), &[1, 2, 3, 4]));
    f.write("st_bf16.safetensors", &safetensors(&tensor("BF16", json!([2]), 4), &[0x80, 0x3f, 0, 0x40]));
    f.write("st_f16.safetensors", &safetensors(&tensor("F16", json!([2]), 4), &[0, 0x3c, 0, 0x7e]));
    f.write("st_f64.safetensors", &safetensors(&tensor("F64", json!([1]), 8), &1.5f64.to_le_bytes()));
    f.write("st_i64.safetensors", &safetensors(&tensor("I64", json!([2]), 16), &[7; 16]));
    f.write(
        "st_huge_shape.safetensors",
        &safetensors(&tensor("F32", json!([4294967296u64, 4294967296u64]), 16), &[0; 16]),
    );
    f.write("st_offsets_past_end.safetensors", &safetensors(&tensor("F32", json!([250]), 1000), &[0; 16]));
    f.write(
        "st_rank0.safetensors",
        &safetensors(&json!({ "x": { "dtype": "F32", "shape": [], "data_offsets": [0, 4] } }), &[0, 0, 0x80, 0x7f]),
    );
    f.write("st_empty_tensor.safetensors", &safetensors(&tensor("F32", json!([0, 3]), 0), &[]));
    f.write("st_unknown_dtype.safetensors", &safetensors(&tensor("Q4_K", json!([4]), 4), &[0; 4]));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut nested = (deep.len() as u64).to_le_bytes().to_vec();
    nested.extend_from_slice(deep.as_bytes());
    f.write("st_deep_header.safetensors", &nested);
}

/// Every variant of an architecture JSON with one number (or list of numbers) made absurd.
fn absurd_architectures(arch: &Json) -> Vec<(String, Json)> {
    let mut out = Vec::new();
    let Some(obj) = arch.as_object() else { return out };
    for (key, v) in obj {
        let bad: Vec<(&str, Json)> = match v {
            Json::Number(_) => vec![("huge", json!(1_000_000_000_000u64)), ("neg", json!(-1)), ("zero", json!(0))],
            Json::Array(items) if items.iter().all(Json::is_number) => vec![
                ("huge", json!(vec![100_000u64; items.len().max(2)])),
                ("neg", json!(vec![-1; items.len().max(1)])),
                ("empty", json!([])),
            ],
            Json::String(_) => vec![("str", json!("zzz"))],
            Json::Bool(_) => vec![("str", json!("yes"))],
            _ => vec![],
        };
        for (tag, value) in bad {
            let mut a = arch.clone();
            a[key] = value;
            out.push((format!("{key}_{tag}"), a));
        }
    }
    out
}

fn make_checkpoints(f: &mut Files, originals: &Path) {
    for kind in ["mlp", "classifier", "unet"] {
        let Ok(bytes) = std::fs::read(originals.join(format!("ck_{kind}.safetensors"))) else { continue };
        let Some((header, data)) = split_safetensors(&bytes) else { continue };
        let arch_text = header["__metadata__"]["architecture"].as_str().unwrap_or("{}");
        let arch: Json = serde_json::from_str(arch_text).unwrap_or(Json::Null);
        for (tag, bad) in absurd_architectures(&arch) {
            let mut h = header.clone();
            h["__metadata__"]["architecture"] = Json::String(bad.to_string());
            f.write(&format!("ck_{kind}_{tag}.safetensors"), &safetensors(&h, &data));
        }
        let only_meta = json!({ "__metadata__": header["__metadata__"].clone() });
        f.write(&format!("ck_{kind}_no_tensors.safetensors"), &safetensors(&only_meta, &[]));
        let mut h = header.clone();
        h["__metadata__"]["architecture"] = Json::String("not json".into());
        f.write(&format!("ck_{kind}_arch_text.safetensors"), &safetensors(&h, &data));
        h["__metadata__"]["architecture"] = Json::String(format!("{}{}", "[".repeat(10000), "]".repeat(10000)));
        f.write(&format!("ck_{kind}_arch_deep.safetensors"), &safetensors(&h, &data));
        let mut h = header.clone();
        if let Some(obj) = h.as_object_mut() {
            for (_, t) in obj.iter_mut().filter(|(n, _)| *n != "__metadata__") {
                if let Some(shape) = t["shape"].as_array_mut() {
                    shape.reverse();
                    shape.push(json!(1));
                }
                t["dtype"] = json!("F64");
            }
        }
        f.write(&format!("ck_{kind}_wrong_tensors.safetensors"), &safetensors(&h, &data));
    }
    if let Ok(bytes) = std::fs::read(originals.join("ck_opt.safetensors")) {
        if let Some((header, data)) = split_safetensors(&bytes) {
            for (key, value) in [
                ("params", "999999999999"),
                ("steps", "-1"),
                ("rule", "zzz"),
                ("config", "{\"lr\":1e999}"),
                ("schedule", "[[[[[[[[[[]]]]]]]]]]"),
            ] {
                let mut h = header.clone();
                h["__metadata__"][key] = json!(value);
                f.write(&format!("ck_opt_{key}.safetensors"), &safetensors(&h, &data));
            }
        }
    }
    if let Ok(bytes) = std::fs::read(originals.join("ck_ema.safetensors")) {
        if let Some((header, data)) = split_safetensors(&bytes) {
            for (key, value) in [("updates", "-5"), ("decay", "NaN"), ("warmup", "maybe")] {
                let mut h = header.clone();
                h["__metadata__"][key] = json!(value);
                f.write(&format!("ck_ema_{key}.safetensors"), &safetensors(&h, &data));
            }
        }
    }
}

fn make_png(f: &mut Files) {
    f.write("png_ok/a.png", &gray_png(4, 4));
    f.write("png_mixed/a.png", &gray_png(4, 4));
    let mut rgb = Vec::new();
    for _ in 0..8 {
        rgb.push(0);
        rgb.extend(std::iter::repeat_n(200u8, 8 * 3));
    }
    f.write("png_mixed/b.png", &png(8, 8, 8, 2, &rgb));
    f.write("png_huge_dims/a.png", &png(100_000, 100_000, 8, 0, &[0; 64]));
    f.write("png_max_dims/a.png", &png(0x7fff_ffff, 0x7fff_ffff, 16, 6, &[0; 64]));
    f.write("png_text/a.png", b"this is not a png\n");
    let ok = gray_png(4, 4);
    f.write("png_truncated/a.png", &ok[..ok.len() / 2]);
    f.write("png_16bit/a.png", &png(2, 2, 16, 6, &[0; 2 * (1 + 2 * 8)]));
    f.write("png_zero/a.png", &png(0, 0, 8, 0, &[]));
    std::fs::create_dir_all(f.dir.join("png_empty")).expect("folder");
    f.names.push("png_empty".into());
}

fn make_json(f: &mut Files) {
    f.write("json_deep.json", format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).as_bytes());
    f.write("json_deep_map.json", format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000)).as_bytes());
    f.write("json_big_number.json", b"[1e999, -1e999, 123456789012345678901234567890]");
    f.write("json_bad_utf8.json", b"[\"\xff\xfe\"]");
    f.write("json_many.json", format!("[{}0]", "0,".repeat(2_000_000)).as_bytes());
}

/// The script that makes the originals the checkpoint mutations start from.
pub const ORIGINALS_SCRIPT: &str = r#"
let net = mlp(#{ dim: 2, hidden: [8] });
net.save("ck_mlp.safetensors");
classifier(#{ classes: 4, dim: 2, hidden: [8] }).save("ck_classifier.safetensors");
unet(#{ image: [1, 8, 8] }).save("ck_unet.safetensors");
adamw(net).save("ck_opt.safetensors");
ema(net, #{}).save("ck_ema.safetensors");
"#;

/// The cases that load the files: every loader on the files meant for it, in parts of
/// `per_case`.
pub fn cases(f: &Files, per_case: usize) -> Vec<Case> {
    let mut calls: Vec<(String, String, String)> = Vec::new(); // (class, code, file)
    let mut add = |class: &str, code: String, file: &str| calls.push((class.to_string(), code, file.to_string()));
    for name in &f.names {
        let p = quote(&f.path(name));
        let path = name.as_str();
        if name.starts_with("npy_") {
            add("file/npy", format!("let t = load_npy({p});\nprint(t);\nprint(t.sum());"), path);
        } else if name.starts_with("idx_") {
            add("file/mnist", format!("let d = load_mnist({p});\nprint(d.images.shape());"), path);
            add(
                "file/mnist",
                format!("let d = load_mnist({}, {p});\nprint(d.labels.shape());", quote(&f.path("idx_one_image.gz"))),
                path,
            );
        } else if name.starts_with("csv_") {
            add("file/csv", format!("let t = load_csv({p});\nprint(t);"), path);
            add("file/csv", format!("let t = load_csv({p}, #{{ header: false }});\nprint(t);"), path);
            add("file/csv", format!("print(head({p}, 3));"), path);
        } else if name.starts_with("st_") {
            add("file/safetensors", format!("let m = load_tensors({p});\nfor k in m.keys() {{ let t = m[k]; print(t); print(t + 1.0); print(t.mean()); print(t.to_array()); }}"), path);
            add("file/safetensors", format!("print(load({p}));"), path);
        } else if name.starts_with("ck_opt") {
            add(
                "file/checkpoint",
                format!("let o = adamw(mlp(#{{ dim: 2, hidden: [8] }}));\no.load({p});\nprint(o.steps);"),
                path,
            );
        } else if name.starts_with("ck_ema") {
            add(
                "file/checkpoint",
                format!("let e = ema(mlp(#{{ dim: 2, hidden: [8] }}), #{{}});\ne.load({p});\nprint(e.updates);"),
                path,
            );
        } else if name.starts_with("ck_") {
            add(
                "file/checkpoint",
                format!("let net = load({p});\nprint(net.param_count());\nprint(net.forward(randn([4, 2]), 0.5));"),
                path,
            );
            add("file/checkpoint", format!("let m = load_tensors({p});\nprint(m.len());"), path);
        } else if name.starts_with("png_") {
            add("file/png", format!("let x = load_images({p});\nprint(x.shape());"), path);
            for opts in [
                "#{ size: [100000, 100000] }",
                "#{ size: [4294967296, 4294967296] }",
                "#{ size: [0, 0] }",
                "#{ size: [-1, 4] }",
                "#{ size: 100000 }",
                "#{ channels: 7 }",
                "#{ channels: 0 }",
            ] {
                if name == "png_ok" || name == "png_mixed" {
                    add("file/png", format!("let x = load_images({p}, {opts});\nprint(x.shape());"), path);
                }
            }
        } else if name.starts_with("json_") {
            add("file/json", format!("let v = read_json({p});\nprint(type_of(v));\nprint(v);"), path);
            add("file/json", format!("let v = read_json({p});\nwrite_json(\"copy.json\", v);"), path);
        }
    }
    for loader in ["load_npy", "load_csv", "load_tensors", "load", "load_mnist", "read_json", "load_images"] {
        for special in ["/dev/zero", "/dev/urandom", "/proc/self/mem", "/", "/dev/null"] {
            add("file/special", format!("print({loader}({}));", quote(special)), special);
        }
    }
    for special in ["/dev/zero", "/dev/urandom"] {
        add("file/special", format!("print(head({}, 2));", quote(special)), special);
    }
    add("file/special", "print(load_csv(\"/dev/zero\", #{ header: false }));".to_string(), "/dev/zero");
    let mut out: Vec<Case> = Vec::new();
    for (class, code, file) in calls {
        if out.last().is_none_or(|c| c.class != class || c.parts.len() >= per_case) {
            out.push(Case::new(class));
        }
        let case = out.last_mut().expect("pushed");
        case.uses.push(if file.starts_with('/') { file.clone() } else { f.path(&file) });
        case.parts.push(Part::new(file, code));
    }
    out
}

//! Every file reader of difflab on arbitrary bytes: the first byte picks the reader
//! (`.npy`, CSV, IDX plain or gzipped, a safetensors network checkpoint, a PNG in an
//! image folder), the rest is the file. A reader may return an error; it must not
//! panic, abort, hang or allocate past the 512 MB memory budget set here (libFuzzer's
//! `-rss_limit_mb` and `-malloc_limit_mb` catch what goes past it).
#![no_main]

use difflab::data::loaders;
use difflab::tensor::Device;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A folder of this process's own, holding the file under test.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        difflab::memory::set_limit(512 << 20).expect("a positive limit");
        let dir = std::env::temp_dir().join(format!("difflab-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("images")).expect("the scratch folder");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, file)) = data.split_first() else { return };
    let dir = scratch();
    let write = |name: &str| {
        let path = dir.join(name);
        std::fs::write(&path, file).expect("the scratch file");
        path
    };
    match which % 6 {
        0 => drop(loaders::load_npy(&write("x.npy"))),
        1 => drop(loaders::load_csv(&write("x.csv"), None)),
        2 => drop(loaders::load_idx(&write("x.idx"))),
        3 => drop(loaders::load_mnist(&write("images.idx"), None)),
        4 => drop(difflab::nn::checkpoint::load_network(&write("x.safetensors"), &Device::Cpu)),
        _ => {
            write("images/a.png");
            drop(loaders::load_image_folder(&dir.join("images"), &loaders::ImageFolderOptions::default()));
        }
    }
});

//! Lists an image's final files with the layer that added each, and its diagnostics:
//! `cargo run -p palisade-image --example image_files -- PATH [os/arch] [--count]`.

use std::path::Path;

use palisade_image::{Image, Limits, Platform};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: image_files PATH [os/arch] [--count]");
        std::process::exit(2);
    };
    let platform = args
        .get(1)
        .filter(|a| !a.starts_with("--"))
        .and_then(|p| Platform::parse(p))
        .unwrap_or_default();
    let count_only = args.iter().any(|a| a == "--count");
    let image = match Image::open(Path::new(path), &platform) {
        Ok(image) => image,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let (mut files, mut bytes) = (0u64, 0u64);
    let mut buf = vec![0u8; 64 * 1024];
    let report = image.for_each_file(&Limits::default(), |entry, reader| {
        files += 1;
        // Read everything, as a cataloger hashing files would.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            bytes += n as u64;
        }
        if !count_only {
            println!(
                "{}\tlayer {}\t{}",
                entry.path,
                entry.layer.index,
                entry.layer.created_by.as_deref().unwrap_or("")
            );
        }
    });
    for d in &report.diagnostics {
        eprintln!("{d}");
    }
    eprintln!(
        "{} layers, {files} entries, {bytes} content bytes",
        image.layers.len()
    );
}

//! Times the per-object rules alone (one thread) over already-loaded inputs, to profile them
//! apart from parsing.
//!
//! `cargo run --release -p palisade-checks --example rule_speed -- FILE...`

use std::time::Instant;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::{Config, Context, Inventory};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut inventory = Inventory::default();
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path)?;
        inventory.add(load_str(&path, &text, &LoadLimits::default()));
    }
    let config = Config::default();
    let context = Context::of(&inventory);
    let (mut objects_best, mut cluster_best) = (f64::MAX, f64::MAX);
    let mut count = 0;
    for _ in 0..5 {
        let start = Instant::now();
        count = palisade_checks::check_objects(&inventory.objects, &config).len()
            + palisade_checks::check_objects_in_context(&inventory.objects, &context, &config)
                .len();
        objects_best = objects_best.min(start.elapsed().as_secs_f64());
        let start = Instant::now();
        count += palisade_checks::check_cluster(&inventory, &config).len();
        cluster_best = cluster_best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "{} objects, {count} findings: per-object rules best {objects_best:.4} s ({:.2} us/object), \
         inventory-wide rules best {cluster_best:.4} s",
        inventory.objects.len(),
        objects_best * 1e6 / inventory.objects.len() as f64
    );
    Ok(())
}

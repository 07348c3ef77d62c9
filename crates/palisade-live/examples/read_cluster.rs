//! Reads a cluster as `palisade scan --cluster` does and prints what was read.
//!
//! `cargo run -p palisade-live --example read_cluster -- [--kubeconfig FILE] [-n NS | -A]`

use palisade_live::{read_cluster, ClusterOptions, Scope};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut options = ClusterOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-A" => options.scope = Scope::All,
            "-n" => options.scope = Scope::Namespace(args.next().ok_or("-n needs a namespace")?),
            "--kubeconfig" => options.kubeconfig = args.next().map(Into::into),
            "--context" => options.context = args.next(),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let live = read_cluster(&options)?;
    println!(
        "{} ({}), namespace {}: {} objects judged, {} set aside under their controllers",
        live.cluster,
        live.server_version.as_deref().unwrap_or("version unknown"),
        live.namespace.as_deref().unwrap_or("(all)"),
        live.inventory.objects.len(),
        live.controlled.len()
    );
    for f in &live.forbidden {
        println!("forbidden: {} {:?}: {}", f.resource, f.namespace, f.message);
    }
    for e in &live.inventory.errors {
        println!("error: {e}");
    }
    Ok(())
}

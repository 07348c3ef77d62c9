//! Who can SSH into the nodes under the given root directories, and how long it takes:
//! `cargo run --release -p palisade-node --example access_root -- ROOT...`.

use std::time::Instant;

use palisade_node::access::{self, Options};

fn main() {
    let roots: Vec<String> = std::env::args().skip(1).collect();
    let started = Instant::now();
    let nodes: Vec<_> = roots
        .iter()
        .map(|r| access::analyze(std::path::Path::new(r), &Options::default()))
        .collect();
    let analysed = started.elapsed();
    let matrix = access::matrix(&nodes);
    let findings: usize = nodes
        .iter()
        .map(|n| access::check(n, &Default::default()).len())
        .sum();
    for n in &nodes {
        let can = n.accounts.iter().filter(|a| a.can_log_in()).count();
        println!(
            "{}: {} accounts, {} can log in, sshd runs: {}",
            n.node,
            n.accounts.len(),
            can,
            n.sshd.runs()
        );
    }
    println!(
        "{} matrix rows, {findings} findings; analysis {:.3}s, total {:.3}s",
        matrix.rows.len(),
        analysed.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

//! Parses a few hundred generated Dockerfiles with Palisade's parser and with the
//! `dockerfile-parser` and `parse-dockerfile` crates: median single-threaded time over N rounds, and how many files
//! each reads without an error (heredocs, `# escape=`, comments inside continuations).
//!
//! `cargo run --release --manifest-path bench/dockerfile/Cargo.toml -- [FILES] [ROUNDS]`

use std::time::Instant;

/// A small deterministic generator (xorshift), so every run parses the same files.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const BASES: [&str; 6] = [
    "python:3.12-slim",
    "node:22",
    "golang:1.23 AS build",
    "debian:12",
    "alpine:3.20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "${BASE}",
];

/// One Dockerfile. `kind` picks the features: 0 plain, 1 heredoc, 2 escape directive,
/// 3 comments inside continuations.
fn dockerfile(rng: &mut Rng, kind: u64) -> String {
    let mut s = String::new();
    if kind == 2 {
        s.push_str("# escape=`\n");
    }
    s.push_str("# syntax=docker/dockerfile:1\nARG BASE=debian:12\n");
    let cont = if kind == 2 { '`' } else { '\\' };
    for stage in 0..1 + rng.below(3) {
        // Stage names must be unique: only the first stage may be `AS build`.
        let base = BASES[rng.below(6) as usize];
        let base = if stage > 0 {
            base.trim_end_matches(" AS build")
        } else {
            base
        };
        s.push_str(&format!("FROM {base}\n"));
        s.push_str(&format!("WORKDIR /src/s{stage}\n"));
        for step in 0..3 + rng.below(12) {
            match rng.below(8) {
                0 => s.push_str(&format!(
                    "ENV APP_{step}=value{step} OTHER_{step}=\"two words\"\n"
                )),
                1 => s.push_str(&format!("COPY --chown=1000:1000 src/{step} /app/{step}\n")),
                2 => s.push_str(&format!("LABEL org.example.step{step}=\"{step}\"\n")),
                3 => s.push_str("CMD [\"python\", \"-m\", \"app\"]\n"),
                4 => s.push_str(&format!("EXPOSE {}\n", 8000 + step)),
                _ => {
                    s.push_str(&format!("RUN apt-get update {cont}\n"));
                    if kind == 3 {
                        s.push_str("    # pinned packages below\n");
                    }
                    s.push_str(&format!(
                        "    && apt-get install -y --no-install-recommends pkg{step} {cont}\n"
                    ));
                    s.push_str("    && rm -rf /var/lib/apt/lists/*\n");
                }
            }
        }
        if kind == 1 {
            s.push_str("RUN <<EOF\nset -eux\necho building\nmake install\nEOF\n");
        }
        s.push_str("USER 10001\n");
    }
    s
}

fn time(name: &str, rounds: usize, bytes: usize, mut f: impl FnMut() -> (usize, usize)) {
    let mut times = Vec::new();
    let mut counts = (0, 0);
    for _ in 0..rounds {
        let t = Instant::now();
        counts = f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{name:<28} {:>8.2} ms  {:>7.1} MB/s  files read without error: {}  instructions: {}",
        median * 1e3,
        bytes as f64 / median / 1e6,
        counts.0,
        counts.1
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(400);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(7);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let texts: Vec<String> = (0..n).map(|i| dockerfile(&mut rng, i % 4)).collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    println!("# {n} files, {bytes} bytes, median of {rounds} rounds, one thread");
    if std::env::var_os("DEBUG").is_some() {
        debug(&texts);
    }
    let limits = palisade_core::dockerfile::Limits::default();
    time("palisade_core::dockerfile", rounds, bytes, || {
        texts.iter().fold((0, 0), |(ok, ins), t| {
            let df = palisade_core::dockerfile::parse(t, &limits);
            (
                ok + usize::from(df.errors.is_empty()),
                ins + df.instructions.len(),
            )
        })
    });
    if std::env::var_os("ONLY_PALISADE").is_some() {
        return; // for profiling
    }
    time("parse-dockerfile 0.1.9", rounds, bytes, || {
        texts
            .iter()
            .fold((0, 0), |(ok, ins), t| match parse_dockerfile::parse(t) {
                Ok(df) => (ok + 1, ins + df.instructions.len()),
                Err(_) => (ok, ins),
            })
    });
    time("dockerfile-parser 0.9", rounds, bytes, || {
        texts.iter().fold(
            (0, 0),
            |(ok, ins), t| match dockerfile_parser::Dockerfile::parse(t) {
                Ok(df) => (ok + 1, ins + df.instructions.len()),
                Err(_) => (ok, ins),
            },
        )
    });
    // Recovery: one file in ten gets a misspelt instruction after its first FROM. What is
    // still read from those files?
    let broken: Vec<String> = texts
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 == 0)
        .map(|(_, t)| t.replacen("\nWORKDIR", "\nRUNN make\nWORKDIR", 1))
        .collect();
    let ours: usize = broken
        .iter()
        .map(|t| {
            palisade_core::dockerfile::parse(t, &limits)
                .instructions
                .len()
        })
        .sum();
    let theirs: usize = broken
        .iter()
        .map(|t| parse_dockerfile::parse(t).map_or(0, |d| d.instructions.len()))
        .sum();
    println!(
        "# {} files with one bad line: palisade reads {ours} instructions (and reports the \
         line), parse-dockerfile {theirs}",
        broken.len()
    );
}

/// `DEBUG=1`: print the first error of each crate on each kind of generated file.
fn debug(texts: &[String]) {
    for (i, t) in texts.iter().enumerate().take(usize::MAX) {
        if let Err(e) = parse_dockerfile::parse(t) {
            println!("parse-dockerfile, file {i} (kind {}): {e}", i % 4);
        }
        if let Err(e) = dockerfile_parser::Dockerfile::parse(t) {
            let e = e.to_string();
            println!(
                "dockerfile-parser, file {i} (kind {}): {}",
                i % 4,
                &e[..e.len().min(200)]
            );
        }
    }
}

//! `palisade`: the command line. Thin by design: parse arguments, call the libraries, pick a
//! renderer, choose the exit code (0 clean, 1 findings at or above `--fail-on`, 2 usage or
//! input error).

mod admission_cmd;
mod cli;
mod config_file;
mod db_cmd;
mod frameworks_cmd;
mod history_cmd;
mod image_cmd;
mod input;
mod inventory_cmd;
mod netpol_cmd;
mod node_cmd;
mod output;
mod policy_cmd;
mod policy_files;
mod probe_cmd;
mod query;
mod rbac_cmd;
mod rules_cmd;
mod scan;
mod scan_images;
mod serve_cmd;
mod text_table;
mod watch_cmd;
mod watch_manifests;

use std::process::ExitCode;

use clap::Parser;

// Loading builds many small trees; mimalloc allocates and frees them markedly faster than
// the system allocator under rayon (see docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Scan(args) => scan::run(&args),
        cli::Command::Rules(args) => rules_cmd::run(&args),
        cli::Command::Frameworks(args) => frameworks_cmd::run(&args),
        cli::Command::Rbac(args) => rbac_cmd::run(&args),
        cli::Command::Netpol(args) => netpol_cmd::run(&args),
        cli::Command::Node(args) => node_cmd::run(&args),
        cli::Command::Probe(args) => probe_cmd::run(&args),
        cli::Command::Policy(args) => policy_cmd::run(&args),
        cli::Command::Image(args) => image_cmd::run(&args),
        cli::Command::Sbom(args) => image_cmd::sbom::run(&args),
        cli::Command::Db(args) => db_cmd::run(&args),
        cli::Command::Serve(args) => serve_cmd::run(&args),
        cli::Command::Inventory(args) => inventory_cmd::run(&args),
        cli::Command::Admission(args) => admission_cmd::run(&args),
        cli::Command::History(args) => history_cmd::run(&args),
        cli::Command::Watch(args) => watch_cmd::run_cmd(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`palisade scan | head`) is not an error.
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("palisade: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

//! `palisade watch manifests`: the install that runs `palisade watch` in a cluster, its
//! ClusterRole granting list and watch on exactly the kinds the watcher reads.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Args;
use palisade_server::{watch_manifests, WatchInstallOptions};

/// `palisade watch manifests`.
#[derive(Debug, Args)]
pub struct ManifestsArgs {
    /// Namespace the watcher runs in.
    #[arg(long, default_value = "palisade")]
    pub namespace: String,

    /// Container image of palisade (pin a digest: REGISTRY/palisade@sha256:...).
    #[arg(long, default_value = concat!("palisade:", env!("CARGO_PKG_VERSION")))]
    pub image: String,
}

pub fn run(args: &ManifestsArgs) -> anyhow::Result<ExitCode> {
    let options = WatchInstallOptions {
        namespace: args.namespace.clone(),
        image: args.image.clone(),
        rules: palisade_live::watch::access::rules(),
    };
    let text = watch_manifests(&options).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

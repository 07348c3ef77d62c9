//! What `palisade sbom` and `palisade image scan` read: a path (OCI layout directory,
//! oci-archive or docker-archive tar, root filesystem directory) or a registry reference,
//! with the flags that choose a platform and authenticate.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use palisade_image::{
    default_cache_dir, pull_details, Auth, Image, Limits, Platform, PullOptions, SourceKind,
};

/// Flags shared by the commands that read an image.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The image: a path (OCI layout directory, oci-archive or docker-archive tar, a root
    /// filesystem directory) or a registry reference (`host[:port]/repo[:tag|@digest]`).
    /// A path that exists wins; prefix `registry:` to force a reference.
    pub target: String,

    /// Platform picked from a multi-platform index (`os/arch[/variant]`).
    #[arg(long, default_value = "linux/amd64")]
    pub platform: String,

    /// Registry user (with --password or --password-stdin); else the docker config's
    /// credentials for the registry, else anonymous.
    #[arg(long, requires = "password_source")]
    pub username: Option<String>,

    /// Registry password (visible to other users of the machine: prefer --password-stdin).
    #[arg(long, group = "password_source")]
    pub password: Option<String>,

    /// Read the registry password from stdin.
    #[arg(long, group = "password_source")]
    pub password_stdin: bool,

    /// Plain HTTP to the registry (a local test registry on loopback).
    #[arg(long)]
    pub insecure: bool,

    /// CA certificates (PEM) to trust for the registry's TLS certificate.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Where pulled blobs are cached (default: the user's cache directory).
    #[arg(long, value_name = "DIR")]
    pub image_cache: Option<PathBuf>,
}

/// An opened image and how to name it in reports.
pub struct Opened {
    /// The image.
    pub image: Image,
    /// The path or reference as given.
    pub subject: String,
    /// Pulled from a registry (its reference is a reference, not a path).
    pub pulled: bool,
    /// The manifest digest, when pulled.
    pub digest: Option<String>,
}

/// The image's packages. A root filesystem directory is walked directly (`DirSource`: only
/// the files the catalogers want are opened), not streamed as a one-layer image, which would
/// open every file.
pub fn catalog(opened: &Opened) -> palisade_sbom::Catalog {
    if opened.image.source == SourceKind::Rootfs && !opened.pulled {
        return palisade_sbom::catalog(&palisade_sbom::DirSource::new(&opened.subject));
    }
    palisade_sbom::catalog_image(&opened.image, &Limits::default())
}

/// Opens the target: a path when one exists (or no registry reference is forced), else a
/// pull.
pub fn open(args: &TargetArgs) -> anyhow::Result<Opened> {
    let platform = Platform::parse(&args.platform)
        .with_context(|| format!("--platform `{}` is not os/arch[/variant]", args.platform))?;
    if let Some(reference) = args.target.strip_prefix("registry:") {
        return pull_ref(reference, &platform, args);
    }
    let path = Path::new(&args.target);
    if path.exists() {
        let image =
            Image::open(path, &platform).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        return Ok(Opened {
            image,
            subject: args.target.clone(),
            pulled: false,
            digest: None,
        });
    }
    if !args.target.contains('/') && !args.target.contains(':') {
        bail!(
            "{}: no such file or directory (a registry reference names its registry: \
             host[:port]/repository[:tag])",
            args.target
        );
    }
    pull_ref(&args.target, &platform, args)
}

fn pull_ref(reference: &str, platform: &Platform, args: &TargetArgs) -> anyhow::Result<Opened> {
    let cache = match &args.image_cache {
        Some(dir) => dir.clone(),
        None => default_cache_dir()
            .context("no cache directory (set XDG_CACHE_HOME or HOME, or --image-cache)")?,
    };
    let mut options = PullOptions::new(cache);
    options.platform = platform.clone();
    options.insecure_http = args.insecure;
    options.ca_file = args.ca_file.clone();
    if let Some(username) = &args.username {
        let password = match (&args.password, args.password_stdin) {
            (Some(p), _) => p.clone(),
            (None, true) => {
                let mut text = String::new();
                std::io::stdin()
                    .take(64 * 1024)
                    .read_to_string(&mut text)
                    .context("reading the password from stdin")?;
                text.trim_end_matches(['\r', '\n']).to_string()
            }
            (None, false) => bail!("--username needs --password or --password-stdin"),
        };
        options.auth = Auth::Basic {
            username: username.clone(),
            password,
        };
    }
    let pulled =
        pull_details(reference, &options).map_err(|e| anyhow::anyhow!("{reference}: {e}"))?;
    Ok(Opened {
        image: pulled.image,
        subject: reference.to_string(),
        pulled: true,
        digest: Some(pulled.manifest_digest),
    })
}

//! Runs the admission server with a fresh dev certificate until SIGTERM or SIGINT (what
//! `palisade serve --admission --dev-cert` will do). The certificate's PEM is written to the
//! file named by the second argument, for clients to trust.
//!
//! ```text
//! dev-server [ADDR=127.0.0.1:8443] [CERT_OUT=dev-cert.pem]
//! ```

use palisade_server::{dev_cert, serve, CertSource, ServerConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:8443".into())
        .parse()?;
    let out = args.next().unwrap_or_else(|| "dev-cert.pem".into());
    let pair = dev_cert(&[])?;
    std::fs::write(&out, &pair.cert_pem)?;
    serve(ServerConfig::new(addr, CertSource::Pem(pair)))?;
    Ok(())
}

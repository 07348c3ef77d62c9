//! Starts a test API server, applies a generated corpus and prints every question with the
//! authorizer's answer: `cargo run -p palisade-testkit --example ask -- [SEED] [SIZE]`.

use std::time::Duration;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    let size = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let corpus = palisade_testkit::rbac_corpus(seed, size);
    let server = palisade_testkit::ApiServer::start()?;
    server.apply(&corpus.yaml)?;
    for name in &corpus.aggregated {
        server.wait_aggregated(name, Duration::from_secs(20))?;
    }
    server.wait_aggregation_settled(Duration::from_millis(500), Duration::from_secs(20))?;
    let answers = server.subject_access_reviews(&corpus.questions)?;
    for (question, answer) in corpus.questions.iter().zip(&answers) {
        let verdict = if answer.allowed { "ALLOW" } else { "no" };
        println!("{verdict}\t{question}\t{}", answer.reason);
    }
    Ok(())
}

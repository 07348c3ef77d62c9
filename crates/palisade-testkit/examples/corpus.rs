//! Prints a generated RBAC corpus and its questions:
//! `cargo run -p palisade-testkit --example corpus -- [SEED] [SIZE]`.

fn main() {
    let mut args = std::env::args().skip(1);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    let size = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let corpus = palisade_testkit::rbac_corpus(seed, size);
    print!("{}", corpus.yaml);
    for question in &corpus.questions {
        println!("# question: {question}");
    }
}

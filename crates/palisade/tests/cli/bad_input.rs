use crate::util::*;

const GOOD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext: {privileged: true}\n";

#[test]
fn broken_yaml_is_reported_at_file_line_col_and_other_files_still_scanned() {
    let d = Dir::new("broken");
    d.create("a-good.yaml", GOOD)
        .create(
            "b-broken.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n",
        )
        .create("c-good.yaml", GOOD);
    let out = d.run(&["scan", ".", "--format", "json"]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("./b-broken.yaml:"), "{err}");
    let line = err.lines().find(|l| l.contains("b-broken.yaml")).unwrap();
    // path:line:col: message
    let parts: Vec<&str> = line.trim_start_matches("error: ").splitn(4, ':').collect();
    assert!(
        parts[1].parse::<u32>().is_ok() && parts[2].parse::<u32>().is_ok(),
        "{line}"
    );
    let files: Vec<String> = hits(&json(&out)).into_iter().map(|h| h.1).collect();
    assert!(
        files.contains(&"./a-good.yaml".to_string())
            && files.contains(&"./c-good.yaml".to_string())
    );
}

#[test]
fn documents_before_a_syntax_error_are_kept() {
    let d = Dir::new("partial");
    d.create("x.yaml", format!("{GOOD}---\nkind: [\n"));
    let out = d.run(&["scan", "x.yaml", "--format", "json"]);
    assert_exit(&out, 2);
    assert_eq!(json(&out)["summary"]["objects"], 1);
}

#[test]
fn table_output_lists_load_errors_too() {
    let d = Dir::new("table-errors");
    d.create("bad.yaml", "a: [\n");
    let out = d.run(&["scan", "bad.yaml"]);
    assert_exit(&out, 2);
    assert!(stdout(&out).contains("bad.yaml:") || stderr(&out).contains("bad.yaml:"));
}

#[test]
fn non_utf8_is_a_clear_error() {
    let d = Dir::new("latin1");
    d.create(
        "l.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n",
    );
    let out = d.run(&["scan", "l.yaml", "--format", "json"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("l.yaml:3:") && stderr(&out).contains("not valid UTF-8"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn empty_inputs() {
    let d = Dir::new("empty");
    d.create("dir/empty.yaml", "").create("named.yaml", "\n\n");
    // found while walking a directory: a note, not an error
    let out = d.run(&["scan", "dir", "--format", "json"]);
    assert_exit(&out, 0);
    // named on the command line, or empty stdin: an error
    let out = d.run(&["scan", "named.yaml", "--format", "json"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("empty input"));
    let out = d.run_stdin(&["scan", "-", "--format", "json"], b"");
    assert_exit(&out, 2);
}

#[test]
fn oversized_files_are_refused_without_reading_them() {
    let d = Dir::new("huge");
    d.create("big.yaml", GOOD.repeat(100));
    let out = d.run(&[
        "scan",
        "big.yaml",
        "--max-file-size",
        "1000",
        "--format",
        "json",
    ]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("over the 1000 byte limit"));
}

#[test]
fn alias_bomb_is_refused() {
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let prev = w[0];
        text.push_str(&format!(
            "  {}: &{} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n",
            w[1], w[1]
        ));
    }
    let d = Dir::new("bomb");
    d.create("bomb.yaml", text);
    let out = d.run(&["scan", "bomb.yaml", "--format", "json"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("alias bomb"), "{}", stderr(&out));
}

#[test]
fn deep_nesting_is_refused() {
    let d = Dir::new("deep");
    d.create("deep.yaml", format!("a: {}", "[".repeat(200_000)));
    let out = d.run(&["scan", "deep.yaml", "--format", "json"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("deep.yaml:1:"), "{}", stderr(&out));
}

#[test]
fn missing_path_is_an_input_error() {
    let d = Dir::new("missing");
    let out = d.run(&["scan", "nope.yaml", "--format", "json"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("nope.yaml: cannot read"));
}

use super::*;
use regorus::Engine;

fn reads_of(modules: &[&str]) -> InputReads {
    let mut engine = Engine::new();
    for (i, text) in modules.iter().enumerate() {
        engine.set_rego_v0(true);
        if let Err(e) = engine.add_policy(format!("m{i}.rego"), text.to_string()) {
            engine.set_rego_v0(false);
            engine
                .add_policy(format!("m{i}.rego"), text.to_string())
                .unwrap_or_else(|_| panic!("module {i} does not compile: {e}"));
        }
    }
    input_reads(engine.get_modules(), "data.t")
}

fn read_set(modules: &[&str]) -> ReadSet {
    match reads_of(modules) {
        InputReads::Paths(r) => r,
        InputReads::Anything(why) => panic!("expected paths, got anything: {why}"),
    }
}

fn joined(paths: &[Vec<String>]) -> Vec<String> {
    paths.iter().map(|p| p.join(".")).collect()
}

fn paths(modules: &[&str]) -> Vec<String> {
    let read = read_set(modules);
    let mut all = joined(&read.paths);
    all.extend(
        joined(&read.message_only)
            .iter()
            .map(|m| format!("msg:{m}")),
    );
    all
}

fn anything(modules: &[&str]) -> bool {
    matches!(reads_of(modules), InputReads::Anything(_))
}

#[test]
fn references_give_their_literal_paths() {
    let text = r#"package t
violation[{"msg": msg}] {
  c := input.review.object.spec.containers[_]
  c.securityContext.privileged
  not input.parameters.allow
  input.review["object"].metadata.name == "x"
  msg := sprintf("%v %v", [c.name, input.review.object.metadata.name])
}"#;
    assert_eq!(
        paths(&[text]),
        [
            "parameters.allow",
            "review.object.metadata.name",
            "review.object.spec.containers"
        ]
    );
}

#[test]
fn a_path_below_another_is_covered_by_it() {
    let text =
        "package t\nviolation[m] { input.review.object; input.review.object.spec.x; m := 1 }";
    assert_eq!(paths(&[text]), ["review.object"]);
}

#[test]
fn imports_of_input_are_reads() {
    let text = "package t\nimport input.review.object as obj\nviolation[m] { obj.spec.x; m := 1 }";
    assert_eq!(paths(&[text]), ["review.object"]);
}

#[test]
fn a_computed_index_ends_the_path_and_is_walked() {
    let text = "package t\nviolation[m] { k := \"spec\"; input.review.object[k]; data.x[input.review.kind.kind]; m := 1 }";
    assert_eq!(paths(&[text]), ["review.kind.kind", "review.object"]);
}

#[test]
fn escaped_fields_are_read_as_their_value() {
    let text = "package t\nviolation[m] { input.review[\"ob\\u006aect\"].spec; m := 1 }";
    assert_eq!(paths(&[text]), ["review.object.spec"]);
}

#[test]
fn input_in_strings_and_comments_is_not_a_read() {
    let text = "package t\n# input\nviolation[m] { m := \"input\"; input.review.name }";
    assert_eq!(paths(&[text]), ["review.name"]);
}

#[test]
fn object_get_with_a_literal_key_reads_that_key() {
    let text = r#"package t
violation[m] {
  p := object.get(input, "parameters", {})
  x := object.get(input.review.object, ["metadata", "labels"], {})
  m := [p, x]
}"#;
    assert_eq!(
        paths(&[text]),
        ["parameters", "review.object.metadata.labels"]
    );
    let computed = "package t\nviolation[m] { k := \"a\"; m := object.get(input.review, k, 1) }";
    assert_eq!(paths(&[computed]), ["review"]);
}

#[test]
fn a_user_function_reads_what_its_parameter_reads() {
    let main = r#"package t
import data.lib.exclude_update.is_update
violation[m] {
  not is_update(input.review)
  shares(input.review.object)
  m := 1
}
shares(o) { o.spec.hostPID }
shares(o) { o.spec.hostIPC }
unused(_) { true }
"#;
    let lib = r#"package lib.exclude_update
is_update(review) {
  review.operation == "UPDATE"
}
"#;
    assert_eq!(
        paths(&[main, lib]),
        [
            "review.object.spec.hostIPC",
            "review.object.spec.hostPID",
            "review.operation"
        ]
    );
}

#[test]
fn a_parameter_used_whole_or_passed_on_is_followed() {
    let text = r#"package t
violation[m] { f(input.review.object); g(input.review.object.metadata); m := 1 }
f(o) { h(o.spec) }
h(s) { s.x == 1 }
g(r) { r == {} }
"#;
    assert_eq!(
        paths(&[text]),
        ["review.object.metadata", "review.object.spec.x"]
    );
}

#[test]
fn a_builtin_reads_its_whole_argument() {
    let text = "package t\nviolation[m] { m := count(input.review.object.spec.containers) }";
    assert_eq!(paths(&[text]), ["review.object.spec.containers"]);
    let whole = "package t\nviolation[m] { m := json.marshal(input) }";
    assert!(anything(&[whole]));
}

#[test]
fn whole_input_with_and_impure_calls_are_anything() {
    for text in [
        "package t\nviolation[m] { x := input; m := x }",
        "package t\nviolation[m] { walk(input, [p, v]); m := p }",
        "package t\nviolation[m] { m := data.t.f with input as {} }\nf := 1",
        "package t\nviolation[m] { m := data.t.f with input.review as {} }\nf := 1",
        "package t\nviolation[m] { input.review.name; m := time.now_ns() }",
        // `input` as a field name: a token the walk does not count as a reference.
        "package t\nviolation[m] { input.review.name; m := data.x.input }",
    ] {
        assert!(anything(&[text]), "{text}");
    }
}

#[test]
fn no_reference_reads_nothing() {
    assert!(paths(&["package t\nviolation[m] { m := 1 }"]).is_empty());
}

#[test]
fn a_value_read_only_into_the_message_is_message_only() {
    let text = r#"package t
violation[{"msg": msg}] {
  input.review.object.spec.hostPID
  msg := sprintf("pod %v (%v) shares the host PID namespace: %v%%", [input.review.object.metadata.name, input.review.uid, input.review.object.spec.hostPID])
}"#;
    assert_eq!(
        paths(&[text]),
        [
            "review.object.spec.hostPID",
            "msg:review.object.metadata.name",
            "msg:review.uid"
        ]
    );
}

#[test]
fn a_message_that_can_decide_or_fail_is_an_ordinary_read() {
    for text in [
        // The message is tested.
        "package t\nviolation[{\"msg\": msg}] { msg := sprintf(\"%v\", [input.review.name]); msg != \"x\" }",
        // `=` may compare with a rule named msg.
        "package t\nviolation[{\"msg\": msg}] { msg = sprintf(\"%v\", [input.review.name]) }",
        // `%d` fails on a string.
        "package t\nviolation[{\"msg\": msg}] { msg := sprintf(\"%d\", [input.review.name]) }",
        // Not the answer: another rule's value may be tested where it is used.
        "package t\nviolation[{\"msg\": m}] { names[m]; m != \"x\" }\nnames[msg] { msg := sprintf(\"%v\", [input.review.name]) }",
        // The same value read elsewhere too.
        "package t\nviolation[{\"msg\": msg}] { input.review.name != \"a\"; msg := sprintf(\"%v\", [input.review.name]) }",
    ] {
        assert_eq!(paths(&[text]), ["review.name"], "{text}");
    }
}

#[test]
fn functions_multiplying_paths_are_bounded() {
    // f0 reads two fields; each f(k+1) calls f(k) on two fields: 2^40 paths unbounded.
    let mut text = String::from(
        "package t\nviolation[m] { f40(input.review.object); m := 1 }\nf0(x) { x.a; x.b }\n",
    );
    for k in 0..40 {
        text.push_str(&format!("f{}(x) {{ f{k}(x.l); f{k}(x.r) }}\n", k + 1));
    }
    let start = std::time::Instant::now();
    let read = paths(&[&text]);
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    // Each read below review.object, and no more of them than the bound.
    assert!(!read.is_empty() && read.len() <= 64, "{}", read.len());
    assert!(read.iter().all(|p| p.starts_with("review.object.")));
}

//! The `rego_policy` fuzz harness on a few hostile inputs, so its regressions show up in
//! `cargo test` too.

#[test]
fn hostile_rego_never_panics() {
    for text in [
        "",
        "package",
        "package x\nviolation[{\"msg\": m}] { m := input.review.object.metadata.name }",
        "package x\nviolation[{\"msg\": 1}] { x := [y | y := numbers.range(1, 10000)[_]]; count(x) > 0 }",
        "package x\nimport rego.v1\nviolation contains {\"msg\": \"a\"} if { some i in numbers.range(1, 50); regex.match(\"(a+)+$\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\") }",
        "package x\nviolation[r] { r := {\"msg\": sprintf(\"%v\", [data.inventory])} }",
        "package x\ndeny[msg] { msg := concat(\"\", [\"\\u0000\", \"\u{1F600}\"]) }\nviolation[{}] { true }",
        "package lib.x\nviolation { 1/0 }",
        "\u{feff}package x\nviolation[{\"msg\": m}] { m := input.parameters.a[_] }",
    ] {
        palisade_policy::fuzzing::rego_policy(text);
    }
}

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

/// The `cel_expression` harness on hostile expressions: parse errors, deep nesting, huge
/// strings, type errors, runaway comprehensions, unknown functions, odd Unicode.
#[test]
fn hostile_cel_never_panics() {
    let deep = format!("{}1{}", "(".repeat(500), ")".repeat(500));
    let nested = "[1,2,3].all(a, [1,2,3].all(b, [1,2,3].all(c, [1,2,3].all(d, true))))";
    for text in [
        "",
        "(",
        "object.spec.replicas >",
        deep.as_str(),
        nested,
        "'a'.replace('a', 'aaaaaaaaaaaaaaaa').replace('a', 'aaaaaaaaaaaaaaaa').replace('a', 'aaaaaaaaaaaaaaaa').replace('a', 'aaaaaaaaaaaaaaaa').replace('a', 'aaaaaaaaaaaaaaaa')",
        "1 / 0",
        "9223372036854775807 + 1",
        "quantity('1Ei').add(quantity('1Ei')).asInteger()",
        "quantity('99999999999999999999999999999999999999')",
        "url('https://[::1').getHost()",
        "'\u{1F600}é'.substring(1, 2).charAt(0)",
        "'x'.findAll('(', -1)",
        "'abc'.split('', 2) == ['a', 'bc']",
        "[].min()",
        "[1, 'a'].isSorted()",
        "variables.v",
        "params.data.b.startsWith('1') && quantity(params.data.b).isGreaterThan(quantity('1'))",
        "authorizer.group('apps').resource('deployments').check('create').allowed()",
        "object.spec.template.spec.containers.map(c, c.resources.limits.memory)",
        "{'a': 1}['b']",
        "has(object.metadata.labels.a) ? oldObject.spec.replicas : request.userInfo.username",
        "\u{0}\u{feff}",
    ] {
        palisade_policy::fuzzing::cel_expression(text);
    }
}

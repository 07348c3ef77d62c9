use super::*;

fn p(text: &str) -> Dockerfile {
    parse(text, &Limits::default())
}

#[test]
fn stages_names_and_stage_references() {
    let df = p("ARG V=3.12\nFROM python:${V} AS Build\nRUN make\nFROM build\nFROM scratch\n");
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    assert_eq!(df.stages.len(), 3);
    assert_eq!(df.stages[0].resolved.as_deref(), Some("python:3.12"));
    assert_eq!(df.stages[0].name.as_deref(), Some("build"));
    assert_eq!(df.stages[1].base_stage, Some(0));
    assert_eq!(df.instructions_of(&df.stages[0]).len(), 2);
    assert_eq!(df.instructions[0].stage, None);
    assert_eq!(df.instructions[2].stage, Some(0));
    assert_eq!(df.stages[0].base_pos, Pos::new(2, 6));
}

#[test]
fn flags_exec_form_and_pairs() {
    let df = p(concat!(
        "FROM --platform=$BUILDPLATFORM alpine:3.20\n",
        "RUN --mount=type=cache,target=/root/.cache pip install x\n",
        "CMD [\"app\", \"--serve\"]\n",
        "ENV A=1 B=\"two words\"\n",
        "ENV LEGACY some value\n",
        "ARG X Y=2\n",
        "ADD --checksum=sha256:abc https://e.x/f /f\n",
    ));
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    let i = &df.instructions;
    assert_eq!(i[0].flag("platform"), Some("$BUILDPLATFORM"));
    assert_eq!(df.stages[0].base, "alpine:3.20");
    assert_eq!(i[1].flag("mount"), Some("type=cache,target=/root/.cache"));
    assert_eq!(i[1].args.as_str(), "pip install x");
    assert_eq!(i[1].args.pos_at(0), Pos::new(2, 44));
    assert_eq!(
        i[2].exec.as_deref(),
        Some(&["app".to_string(), "--serve".to_string()][..])
    );
    assert_eq!(i[3].pairs.len(), 2);
    assert_eq!(i[3].pairs[1].value.as_deref(), Some("two words"));
    assert_eq!(i[3].pairs[1].pos, Pos::new(4, 9));
    assert_eq!(i[3].pairs[1].value_pos, Pos::new(4, 11));
    assert_eq!(i[4].pairs[0].key, "LEGACY");
    assert_eq!(i[4].pairs[0].value.as_deref(), Some("some value"));
    assert_eq!(i[5].pairs[0].value, None);
    assert_eq!(i[5].pairs[1].value.as_deref(), Some("2"));
    assert_eq!(i[6].flag("checksum"), Some("sha256:abc"));
    assert_eq!(i[6].words, ["https://e.x/f", "/f"]);
}

#[test]
fn errors_keep_the_rest() {
    let df = p("FROM a\nRUNN make\nUSER app\nFROM a b\nRUN <<EOF\nnever closed\n");
    let lines: Vec<u32> = df.errors.iter().map(|e| e.pos.line).collect();
    assert_eq!(lines, [2, 4, 5]);
    let dup = p("FROM a AS x\nFROM b AS X\n");
    assert_eq!(dup.errors.len(), 1);
    assert_eq!(dup.errors[0].pos.line, 2);
    let shell = p("FROM a\nSHELL /bin/bash -c\nSHELL [\"/bin/bash\", \"-c\"]\n");
    assert_eq!(shell.errors.len(), 1);
    assert_eq!(shell.errors[0].pos.line, 2);
    assert!(df.errors[0].message.contains("unknown instruction `RUNN`"));
    assert_eq!(df.instructions.len(), 2);
    assert_eq!(df.instructions[1].keyword, Keyword::User);
}

#[test]
fn instructions_before_from() {
    let df = p("# comment\nRUN x\nARG A=1\nFROM a\n");
    assert_eq!(df.errors.len(), 1);
    assert_eq!(df.errors[0].pos.line, 2);
    let empty = p("# only a comment\n");
    assert_eq!(empty.errors.len(), 1);
}

#[test]
fn heredoc_run_keeps_body_lines() {
    let df = p("FROM a\nRUN <<EOF\nset -e\ncurl x | sh\nEOF\nUSER 1\n");
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    let run = &df.instructions[1];
    assert_eq!(run.heredocs.len(), 1);
    let body = &run.heredocs[0].body;
    let at = body.as_str().find("curl").unwrap();
    assert_eq!(body.pos_at(at), Pos::new(4, 1));
    assert_eq!(run.end_line, 5);
    assert_eq!(df.instructions[2].pos.line, 6);
}

#[test]
fn keyword_case_and_windows_line_ends() {
    let df = p("from alpine\r\nrun echo hi \\\r\n  there\r\n");
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    assert_eq!(df.instructions[1].keyword, Keyword::Run);
    assert_eq!(df.instructions[1].args.as_str(), "echo hi   there");
}

#[test]
fn hostile_inputs_do_not_panic() {
    let long = "RUN a \\\n".repeat(10_000);
    for text in [
        "",
        "\\",
        "FROM",
        "FROM a\nRUN <<",
        "FROM a\nRUN <<-'",
        "FROM a\nRUN <<'A\n",
        "FROM a\nENV =",
        "FROM a\nENV",
        "FROM a\nARG ${",
        "ARG A=${\nFROM $A",
        "FROM a\nRUN --\n",
        "FROM a\nCOPY --=x a b\n",
        "\u{feff}FROM é\nRUN é\\\n",
        "# escape=`\nFROM a`\n",
        long.as_str(),
    ] {
        let _ = p(text);
    }
}

#[test]
fn instruction_limit_is_an_error() {
    let df = parse(
        "FROM a\nRUN a\nRUN b\nRUN c\n",
        &Limits {
            max_instructions: 2,
        },
    );
    assert_eq!(df.instructions.len(), 2);
    assert!(df.errors[0].message.contains("more than 2 instructions"));
}

//! Property tests against the reference implementations installed on the
//! machine: Python's `packaging` (PEP 440) and Maven's own
//! `ComparableVersion` (run from the Maven installation's jar). Each test
//! skips, saying so, when its reference is missing.

use palisade_vulndb::version::{goversion, maven, pep440, rpm, semver};
use std::cmp::Ordering;
use std::io::Write;
use std::process::{Command, Stdio};

fn pick<'a>(rng: &mut fastrand::Rng, from: &[&'a str]) -> &'a str {
    from[rng.usize(0..from.len())]
}

/// PEP 440 shapes, including spellings that need normalization and some
/// that are invalid.
fn pep440_version(rng: &mut fastrand::Rng) -> String {
    let mut s = String::new();
    s.push_str(pick(rng, &["", "", "", "v", "V", "1!", "0!", "2!"]));
    s.push_str(pick(rng, &["0", "1", "01", "2", "10"]));
    for _ in 0..rng.usize(0..3) {
        s.push_str(pick(rng, &[".0", ".1", ".00", ".2", ".10"]));
    }
    s.push_str(pick(
        rng,
        &[
            "",
            "",
            "a1",
            "A",
            "alpha",
            "-beta.2",
            "b",
            "rc1",
            "RC",
            "c3",
            "pre",
            "_preview1",
            ".a",
        ],
    ));
    s.push_str(pick(
        rng,
        &["", "", "-1", ".post", "post2", "-r", "rev3", "_post_1", "-"],
    ));
    s.push_str(pick(rng, &["", "", ".dev", "dev1", "-dev-2", "DEV"]));
    s.push_str(pick(
        rng,
        &["", "", "", "+abc", "+1", "+ubuntu-1", "+01.a", "+a..b", "+"],
    ));
    s
}

#[test]
fn pep440_agrees_with_python_packaging() {
    let script = "import sys\nfrom packaging.version import Version, InvalidVersion\n\
        def p(s):\n  try: return Version(s)\n  except InvalidVersion: return None\n\
        for line in sys.stdin:\n  a, b = line.rstrip('\\n').split('\\t')\n  x, y = p(a), p(b)\n\
        \n  print('E' if x is None or y is None else f'{(x > y) - (x < y)}\\t{x}\\t{y}')\n";
    let child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("python3 missing: skipping");
        return;
    };
    let mut rng = fastrand::Rng::with_seed(440);
    let pairs: Vec<(String, String)> = (0..500)
        .map(|_| {
            let a = pep440_version(&mut rng);
            let b = if rng.bool() {
                pep440_version(&mut rng)
            } else {
                a.to_lowercase()
            };
            (a, b)
        })
        .collect();
    let input: String = pairs.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        eprintln!(
            "packaging unavailable: skipping ({})",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let answers: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(answers.len(), pairs.len());
    let mut compared = 0;
    for ((a, b), line) in pairs.iter().zip(&answers) {
        let mut cols = line.split('\t');
        let want = cols.next().unwrap_or_default();
        // Valid pairs also carry packaging's normalized forms.
        if let (Some(na), Some(nb)) = (cols.next(), cols.next()) {
            assert_eq!(
                pep440::Version::parse(a).unwrap().to_string(),
                na,
                "str(Version({a:?}))"
            );
            assert_eq!(
                pep440::Version::parse(b).unwrap().to_string(),
                nb,
                "str(Version({b:?}))"
            );
        }
        let ours = pep440::compare_str(a, b);
        match (want, ours) {
            ("E", Err(_)) => {}
            ("-1", Ok(Ordering::Less))
            | ("0", Ok(Ordering::Equal))
            | ("1", Ok(Ordering::Greater)) => compared += 1,
            (w, o) => panic!("{a:?} vs {b:?}: packaging says {w}, we say {o:?}"),
        }
    }
    assert!(compared > 200, "only {compared} valid pairs");
}

/// Maven shapes: numbers, qualifiers with and without separators, aliases,
/// empty components, unknown qualifiers.
fn maven_version(rng: &mut fastrand::Rng) -> String {
    let mut s = String::from(pick(rng, &["1", "0", "2", "1.0", "01", "10"]));
    for _ in 0..rng.usize(0..5) {
        s.push_str(pick(
            rng,
            &[
                ".0",
                ".1",
                "-1",
                "-0",
                ".",
                "-",
                "a1",
                "b2",
                "m3",
                "-alpha",
                "-beta-1",
                ".RC1",
                "-rc",
                "-cr2",
                "-SNAPSHOT",
                "-ga",
                ".final",
                "-release",
                "-sp",
                "-sp1",
                "-abc",
                "xyz",
                "2",
                ".00",
                "-milestone",
                "a",
                "b",
            ],
        ));
    }
    s
}

#[test]
fn maven_agrees_with_comparable_version() {
    let jar = std::fs::read_dir("/usr/share/maven/lib")
        .ok()
        .and_then(|d| {
            d.filter_map(Result::ok).map(|e| e.path()).find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("maven-artifact"))
            })
        });
    let Some(jar) = jar else {
        eprintln!("Maven's maven-artifact jar missing: skipping");
        return;
    };
    let mut rng = fastrand::Rng::with_seed(0x3a7e);
    let versions: Vec<String> = (0..400).map(|_| maven_version(&mut rng)).collect();
    let out = Command::new("java")
        .arg("-cp")
        .arg(&jar)
        .arg("org.apache.maven.artifact.versioning.ComparableVersion")
        .args(&versions)
        .output();
    let Ok(out) = out else {
        eprintln!("java missing: skipping");
        return;
    };
    let text = String::from_utf8(out.stdout).unwrap();
    // Lines: "N. V -> CANONICAL; tokens: ..." and "   A OP B".
    let mut canon = 0;
    let mut compared = 0;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("   ") {
            let parts: Vec<&str> = rest.split(' ').collect();
            assert_eq!(parts.len(), 3, "{line}");
            let want = match parts[1] {
                "<" => Ordering::Less,
                "==" => Ordering::Equal,
                ">" => Ordering::Greater,
                op => panic!("unknown op {op} in {line}"),
            };
            assert_eq!(
                maven::compare_str(parts[0], parts[2]).unwrap(),
                want,
                "{line}"
            );
            compared += 1;
        } else if let Some((_, rest)) = line.split_once(". ") {
            let Some((v, rest)) = rest.split_once(" -> ") else {
                continue;
            };
            let Some((c, _)) = rest.split_once("; tokens") else {
                continue;
            };
            assert_eq!(
                maven::Version::parse(v).unwrap().canonical(),
                c,
                "canonical of {v}"
            );
            canon += 1;
        }
    }
    assert_eq!(compared, versions.len() - 1, "{text}");
    assert_eq!(canon, versions.len());
}

/// Go module version shapes: shorthands, pre-releases, pseudo-versions,
/// build metadata, and invalid ones (leading zeros, bad suffixes).
fn go_version(rng: &mut fastrand::Rng) -> String {
    // Mostly valid, so that most pairs get compared; a few invalid ones
    // check that validity agrees.
    let mut s = String::from(pick(rng, &["v", "v", "v", "v", "v", "v", "v", ""]));
    s.push_str(pick(rng, &["0", "1", "2", "1", "10", "1", "1", "01"]));
    s.push_str(pick(
        rng,
        &[
            "", ".0", ".2.3", ".2.3", ".2.3", ".2.4", ".0.0", ".0.0", ".1.0", ".1.01",
        ],
    ));
    s.push_str(pick(
        rng,
        &[
            "",
            "",
            "-pre",
            "-rc.1",
            "-rc.01",
            "-0.20200101000000-abcdef123456",
            "-pre.0.20210101000000-abcdef123456",
            "-20190101000000-aaaaaaaaaaaa",
            "-alpha.beta",
            "-a..b",
            "-1",
            "-x-y",
        ],
    ));
    s.push_str(pick(rng, &["", "", "", "+incompatible", "+meta.1", "+"]));
    s
}

/// Against the real `golang.org/x/mod/semver`, as vendored in the Go
/// toolchain's own source tree (copied into a temporary module at test time;
/// nothing is downloaded).
#[test]
fn go_agrees_with_x_mod_semver() {
    let goroot = Command::new("go").args(["env", "GOROOT"]).output();
    let Ok(goroot) = goroot else {
        eprintln!("go missing: skipping");
        return;
    };
    let goroot = String::from_utf8(goroot.stdout).unwrap().trim().to_string();
    let src =
        std::path::Path::new(&goroot).join("src/cmd/vendor/golang.org/x/mod/semver/semver.go");
    if !src.exists() {
        eprintln!("{} missing: skipping", src.display());
        return;
    }
    let dir = tempfile_dir("go-semver-oracle");
    std::fs::create_dir_all(dir.join("semver")).unwrap();
    std::fs::copy(&src, dir.join("semver/semver.go")).unwrap();
    std::fs::write(dir.join("go.mod"), "module oracle\n\ngo 1.21\n").unwrap();
    std::fs::write(
        dir.join("main.go"),
        "package main\nimport (\"bufio\"; \"fmt\"; \"os\"; \"strings\"; \"oracle/semver\")\n\
         func main() {\n s := bufio.NewScanner(os.Stdin)\n for s.Scan() {\n  p := strings.Split(s.Text(), \"\\t\")\n\
           fmt.Println(semver.IsValid(p[0]), semver.IsValid(p[1]), semver.Compare(p[0], p[1]))\n }\n}\n",
    )
    .unwrap();
    let mut rng = fastrand::Rng::with_seed(0x90);
    let pairs: Vec<(String, String)> = (0..2000)
        .map(|_| (go_version(&mut rng), go_version(&mut rng)))
        .collect();
    let input: String = pairs.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let mut child = Command::new("go")
        .args(["run", "."])
        .current_dir(&dir)
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut compared = 0;
    for ((a, b), line) in pairs.iter().zip(text.lines()) {
        let f: Vec<&str> = line.split(' ').collect();
        // x/mod/semver requires the `v`; our parser makes it optional.
        let valid = |s: &str| s.starts_with('v') && goversion::Version::parse(s).is_ok();
        assert_eq!(f[0] == "true", valid(a), "IsValid({a:?})");
        assert_eq!(f[1] == "true", valid(b), "IsValid({b:?})");
        if valid(a) && valid(b) {
            let want = match f[2] {
                "-1" => Ordering::Less,
                "0" => Ordering::Equal,
                _ => Ordering::Greater,
            };
            assert_eq!(
                goversion::compare_str(a, b).unwrap(),
                want,
                "Compare({a:?}, {b:?})"
            );
            compared += 1;
        }
    }
    assert_eq!(text.lines().count(), pairs.len());
    assert!(compared > 100, "only {compared} valid pairs");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh directory under the target directory's temp area.
fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("palisade-vulndb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// RPM EVR shapes: epochs, tildes, carets, letters, separators, releases.
fn rpm_version(rng: &mut fastrand::Rng) -> String {
    let mut s = String::from(pick(rng, &["", "", "", "1:", "0:", "2:"]));
    s.push_str(pick(rng, &["1", "0", "2", "01", "10", "a"]));
    for _ in 0..rng.usize(0..4) {
        s.push_str(pick(
            rng,
            &[
                ".0", ".1", "~rc1", "~", "^", "^git1", "a", "b", "_1", "+", ".10", "p1", "00",
                "~~", "^^", ".a", "z", "..",
            ],
        ));
    }
    if rng.bool() {
        s.push('-');
        s.push_str(pick(
            rng,
            &["1", "2", "10", "1.el9", "1.el9_2", "0~rc", "1^1", "a"],
        ));
    }
    s
}

/// Against the real rpm (`rpm.vercmp` of its embedded Lua, which parses and
/// compares whole EVRs), when rpm is installed.
#[test]
fn rpm_agrees_with_rpm_vercmp() {
    let mut rng = fastrand::Rng::with_seed(0x4e6);
    let pairs: Vec<(String, String)> = (0..400)
        .map(|_| (rpm_version(&mut rng), rpm_version(&mut rng)))
        .collect();
    // Generated strings hold no `]`, so Lua long strings quote them safely.
    let lua: String = pairs
        .iter()
        .map(|(a, b)| format!("print(rpm.vercmp([[{a}]], [[{b}]]) .. \" \")\n"))
        .collect();
    let out = Command::new("rpm")
        .arg("--eval")
        .arg(format!("%{{lua:\n{lua}}}"))
        .output();
    let Ok(out) = out else {
        eprintln!("rpm missing: skipping");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let answers: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(answers.len(), pairs.len(), "{text}");
    for ((a, b), want) in pairs.iter().zip(answers) {
        let want = match want {
            "-1" => Ordering::Less,
            "0" => Ordering::Equal,
            "1" => Ordering::Greater,
            other => panic!("rpm said {other:?} for {a:?} vs {b:?}"),
        };
        assert_eq!(
            rpm::compare_str(a, b).unwrap(),
            want,
            "rpm.vercmp({a:?}, {b:?})"
        );
    }
}

/// SemVer shapes (no `v`: node-semver strips one even in strict mode).
fn semver_version(rng: &mut fastrand::Rng) -> String {
    let mut s = String::from(pick(rng, &["0", "1", "1", "2", "10", "01"]));
    s.push_str(pick(
        rng,
        &[".0.0", ".2.3", ".2.3", ".10.0", ".0", ".02.3", ".2.3.4"],
    ));
    for _ in 0..rng.usize(0..3) {
        s.push_str(pick(
            rng,
            &[
                "-alpha", "-beta", "-rc", ".1", ".11", ".2", ".x", "-0", "-01", ".0a", "-a-b", ".",
                "-1",
            ],
        ));
    }
    s.push_str(pick(rng, &["", "", "", "+build.1", "+001", "+a..b", "+"]));
    s
}

/// Against node-semver (the copy bundled with npm), when node is installed.
#[test]
fn semver_agrees_with_node_semver() {
    let module = "/usr/lib/node_modules/npm/node_modules/semver";
    if !std::path::Path::new(module).exists() {
        eprintln!("node-semver missing: skipping");
        return;
    }
    let script = format!(
        "const s = require('{module}');\n\
         const lines = require('fs').readFileSync(0, 'utf8').split('\\n').filter(l => l);\n\
         for (const l of lines) {{ const [a, b] = l.split('\\t');\n\
           console.log(s.valid(a) !== null && s.valid(b) !== null ? s.compare(a, b) : 'E'); }}\n"
    );
    let mut rng = fastrand::Rng::with_seed(0x5e3);
    let pairs: Vec<(String, String)> = (0..4000)
        .map(|_| (semver_version(&mut rng), semver_version(&mut rng)))
        .collect();
    let input: String = pairs.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let Ok(mut child) = Command::new("node")
        .args(["-e", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    else {
        eprintln!("node missing: skipping");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), pairs.len());
    let mut compared = 0;
    for ((a, b), want) in pairs.iter().zip(text.lines()) {
        match (want, semver::compare_str(a, b)) {
            ("E", Err(_)) => {}
            ("-1", Ok(Ordering::Less))
            | ("0", Ok(Ordering::Equal))
            | ("1", Ok(Ordering::Greater)) => compared += 1,
            (w, o) => panic!("{a:?} vs {b:?}: node-semver says {w}, we say {o:?}"),
        }
    }
    assert!(compared > 100, "only {compared} valid pairs");
}

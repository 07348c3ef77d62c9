//! Node access through the public API: sshd's effective configuration, keys, PAM, the
//! fleet fixtures, findings, and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use palisade_core::Config;
use palisade_node::access::effective::{self, Assume};
use palisade_node::access::login::{Factor, Method};
use palisade_node::access::{self, analyze, sshd_config, NodeAccess, Options};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fleet")
        .join(name)
}

/// Writes files (path in the node → contents) under a fresh root.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// The effective value of `keyword` for `user` (in `groups`) under the tree's config.
fn value_for(root: &Path, user: &str, groups: &[&str], keyword: &str) -> String {
    let fs = access::rootfs::RootFs::new(root, 1 << 20);
    let cfg = sshd_config::load(&fs);
    let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    let answers = effective::block_answers(&cfg, user, &groups);
    effective::evaluate(&cfg, &answers, Assume::Base)
        .get(keyword)
        .args
        .join(" ")
}

/// (case, files, user, groups, keyword, expected value)
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
);

#[test]
fn effective_config_semantics_table() {
    const MAIN: &str = "/etc/ssh/sshd_config";
    let cases: &[Case] = &[
        (
            "first value wins",
            &[(MAIN, "PermitRootLogin no\nPermitRootLogin yes\n")],
            "root",
            &[],
            "permitrootlogin",
            "no",
        ),
        (
            "default when unset",
            &[(MAIN, "Port 22\n")],
            "root",
            &[],
            "permitrootlogin",
            "prohibit-password",
        ),
        (
            "an Include before the main line wins",
            &[
                (
                    MAIN,
                    "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\n",
                ),
                (
                    "/etc/ssh/sshd_config.d/50-x.conf",
                    "PasswordAuthentication no\n",
                ),
            ],
            "alice",
            &[],
            "passwordauthentication",
            "no",
        ),
        (
            "a main line before the Include wins",
            &[
                (
                    MAIN,
                    "PasswordAuthentication yes\nInclude sshd_config.d/*.conf\n",
                ),
                (
                    "/etc/ssh/sshd_config.d/50-x.conf",
                    "PasswordAuthentication no\n",
                ),
            ],
            "alice",
            &[],
            "passwordauthentication",
            "yes",
        ),
        (
            "glob results in lexical order; relative to /etc/ssh; non-matching names skipped",
            &[
                (MAIN, "Include sshd_config.d/*.conf\n"),
                ("/etc/ssh/sshd_config.d/20-b.conf", "PermitRootLogin yes\n"),
                ("/etc/ssh/sshd_config.d/10-a.conf", "PermitRootLogin no\n"),
                (
                    "/etc/ssh/sshd_config.d/00-z.conf.disabled",
                    "PermitRootLogin forced-commands-only\n",
                ),
            ],
            "root",
            &[],
            "permitrootlogin",
            "no",
        ),
        (
            "nested includes",
            &[
                (MAIN, "Include a.conf\n"),
                ("/etc/ssh/a.conf", "Include b.conf\n"),
                (
                    "/etc/ssh/b.conf",
                    "AuthenticationMethods publickey,password\n",
                ),
            ],
            "alice",
            &[],
            "authenticationmethods",
            "publickey,password",
        ),
        (
            "Match User overrides the global value",
            &[(
                MAIN,
                "PasswordAuthentication no\nMatch User alice,bob\n PasswordAuthentication yes\n",
            )],
            "alice",
            &[],
            "passwordauthentication",
            "yes",
        ),
        (
            "Match User does not apply to others",
            &[(
                MAIN,
                "PasswordAuthentication no\nMatch User alice,bob\n PasswordAuthentication yes\n",
            )],
            "carol",
            &[],
            "passwordauthentication",
            "no",
        ),
        (
            "the first applying Match block wins",
            &[(
                MAIN,
                "Match Group ops\n PermitRootLogin no\nMatch All\n PermitRootLogin yes\n",
            )],
            "root",
            &["root", "ops"],
            "permitrootlogin",
            "no",
        ),
        (
            "a negated group in the list excludes the user",
            &[(MAIN, "Match Group *,!wheel\n PubkeyAuthentication no\n")],
            "alice",
            &["alice", "wheel"],
            "pubkeyauthentication",
            "yes",
        ),
        (
            "an Include inside a Match block belongs to the block",
            &[
                (MAIN, "Match User bob\n Include bob.conf\n"),
                ("/etc/ssh/bob.conf", "PermitRootLogin yes\n"),
            ],
            "alice",
            &[],
            "permitrootlogin",
            "prohibit-password",
        ),
        (
            "a Match inside an included file ends with that file",
            &[
                (MAIN, "Include m.conf\nPermitEmptyPasswords no\n"),
                (
                    "/etc/ssh/m.conf",
                    "Match User bob\n KbdInteractiveAuthentication no\n",
                ),
            ],
            "alice",
            &[],
            "permitemptypasswords",
            "no",
        ),
        (
            "a Match Address block is not applied without the connection",
            &[(MAIN, "Match Address 10.0.0.0/8\n PermitRootLogin yes\n")],
            "root",
            &[],
            "permitrootlogin",
            "prohibit-password",
        ),
        (
            "AllowUsers lines add up",
            &[(MAIN, "AllowUsers alice\nAllowUsers bob@10.0.0.1\n")],
            "alice",
            &[],
            "allowusers",
            "alice bob@10.0.0.1",
        ),
        (
            "AuthorizedKeysFile takes the whole first line",
            &[(
                MAIN,
                "AuthorizedKeysFile .ssh/k1 /etc/ssh/keys/%u\nAuthorizedKeysFile .ssh/k2\n",
            )],
            "alice",
            &[],
            "authorizedkeysfile",
            ".ssh/k1 /etc/ssh/keys/%u",
        ),
    ];
    for (case, files, user, groups, keyword, expected) in cases {
        let root = tree(files);
        assert_eq!(
            value_for(root.path(), user, groups, keyword),
            *expected,
            "case: {case}"
        );
    }
}

#[test]
fn include_loops_and_escapes_are_reported_not_followed() {
    let outside = tree(&[("/evil.conf", "PermitRootLogin yes\n")]);
    let evil = outside.path().join("evil.conf");
    let root = tree(&[
        (
            "/etc/ssh/sshd_config",
            "Include sshd_config\nPermitRootLogin no\nInclude ~/x.conf\n",
        ),
        (
            "/etc/ssh/far.conf",
            "Include ../../../../../../../../evil.conf\n",
        ),
    ]);
    // An absolute symlink to a file outside the root resolves inside the root.
    std::os::unix::fs::symlink(&evil, root.path().join("etc/ssh/link.conf")).unwrap();
    std::fs::write(
        root.path().join("etc/ssh/sshd_config"),
        format!(
            "Include sshd_config\nInclude link.conf far.conf {}\nPermitRootLogin no\nInclude ~/x.conf\n",
            evil.display()
        ),
    )
    .unwrap();
    let fs = access::rootfs::RootFs::new(root.path(), 1 << 20);
    let cfg = sshd_config::load(&fs);
    assert!(
        cfg.diagnostics
            .iter()
            .any(|d| d.message.contains("nested includes")),
        "{:?}",
        cfg.diagnostics
    );
    assert!(cfg
        .diagnostics
        .iter()
        .any(|d| d.message.contains("home-relative")));
    assert!(
        cfg.files.iter().all(|f| !f.contains("evil")),
        "{:?}",
        cfg.files
    );
    assert_eq!(value_for(root.path(), "root", &[], "permitrootlogin"), "no");
}

/// `ssh-keygen -lf FILE`: (bits, fingerprint).
fn keygen_fingerprint(path: &Path) -> (u32, String) {
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut words = text.split_whitespace();
    let bits = words.next().unwrap().parse().unwrap();
    (bits, words.next().unwrap().to_string())
}

fn have_ssh_keygen() -> bool {
    Command::new("ssh-keygen").arg("-?").output().is_ok()
}

#[test]
fn committed_fixture_keys_parse_with_their_real_sizes_and_fingerprints() {
    let node = analyze(&fixture("node-b"), &Options::default());
    let bob = node
        .accounts
        .iter()
        .find(|a| a.account.name == "bob")
        .unwrap();
    let got: Vec<(&str, Option<u32>, &str)> = bob
        .keys
        .iter()
        .map(|k| {
            (
                k.key_type.as_str(),
                k.info.bits,
                k.info.fingerprint.as_str(),
            )
        })
        .collect();
    // Fingerprints as `ssh-keygen -lf` printed them when the keys were made.
    assert_eq!(
        got,
        vec![
            (
                "ssh-dss",
                Some(1024),
                "SHA256:WH4wImnwBCoVcByM+5WXV48/UJEPdCweMEp/keMQdJI"
            ),
            (
                "ssh-rsa",
                Some(1024),
                "SHA256:47rJdyMOoWZu577TrT72pwAqonSNNz67Q7laoO/pWUA"
            ),
        ]
    );
    assert!(bob.keys.iter().all(|k| k.weak.is_some()));
    // The garbage third line is a diagnostic with its place.
    let d = node
        .diagnostics
        .iter()
        .find(|d| d.path.ends_with("home/bob/.ssh/authorized_keys"))
        .unwrap();
    assert_eq!(d.line, Some(3));
}

#[test]
fn freshly_generated_keys_match_ssh_keygen() {
    if !have_ssh_keygen() {
        // The committed fixture keys are checked by the test above.
        eprintln!("ssh-keygen not installed; fresh keys not generated");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let specs: &[(&str, &[&str], Option<&str>)] = &[
        (
            "rsa1024",
            &["-t", "rsa", "-b", "1024"],
            Some("RSA key of 1024 bits"),
        ),
        ("rsa2048", &["-t", "rsa", "-b", "2048"], None),
        ("rsa3072", &["-t", "rsa", "-b", "3072"], None),
        ("ecdsa384", &["-t", "ecdsa", "-b", "384"], None),
        ("ecdsa521", &["-t", "ecdsa", "-b", "521"], None),
        ("ed25519", &["-t", "ed25519"], None),
    ];
    let mut lines = String::new();
    let mut expected = Vec::new();
    for (name, args, _) in specs {
        let key = dir.path().join(name);
        let ok = Command::new("ssh-keygen")
            .args(*args)
            .args(["-q", "-N", "", "-C", name, "-f"])
            .arg(&key)
            .status()
            .unwrap();
        assert!(ok.success(), "ssh-keygen {name}");
        let pubfile = key.with_extension("pub");
        lines.push_str(&std::fs::read_to_string(&pubfile).unwrap());
        expected.push(keygen_fingerprint(&pubfile));
    }
    let root = tree(&[
        ("/etc/passwd", "alice:x:1000:1000::/home/alice:/bin/bash\n"),
        ("/home/alice/.ssh/authorized_keys", &lines),
    ]);
    let node = analyze(root.path(), &Options::default());
    let keys = &node.accounts[0].keys;
    assert_eq!(keys.len(), specs.len());
    for ((key, (bits, fp)), (name, _, weak)) in keys.iter().zip(&expected).zip(specs) {
        assert_eq!(key.info.bits, Some(*bits), "{name}");
        assert_eq!(&key.info.fingerprint, fp, "{name}");
        assert_eq!(key.comment, *name);
        assert_eq!(
            key.weak.as_deref().map(|w| &w[..20]),
            weak.map(|w| &w[..20]),
            "{name}"
        );
    }
    assert_eq!(keys[3].info.curve.as_deref(), Some("nistp384"));
}

fn node(name: &str) -> NodeAccess {
    analyze(&fixture(name), &Options::default())
}

#[test]
fn hardened_node_needs_a_key_and_pam_codes() {
    let a = node("node-a");
    assert_eq!(a.node, "node-a");
    assert!(a.sshd.runs());
    let sf = a.pam.second_factor.as_ref().unwrap();
    assert!(sf.enforced && sf.module == "pam_google_authenticator");
    assert_eq!(a.config_files.len(), 3, "{:?}", a.config_files);
    let alice = a
        .accounts
        .iter()
        .find(|x| x.account.name == "alice")
        .unwrap();
    assert!(alice.login.mfa);
    assert_eq!(alice.login.paths.len(), 1);
    assert_eq!(
        alice.login.paths[0].methods,
        vec![Method::Publickey, Method::KeyboardInteractive]
    );
    assert_eq!(
        alice.login.paths[0].factors,
        vec![Factor::Key, Factor::Password, Factor::SecondFactor]
    );
    // Root: PermitRootLogin no from the drop-in beats `yes` in the main file.
    let root = &a.accounts[0];
    assert!(!root.login.allowed);
    let setting = root
        .login
        .settings
        .iter()
        .find(|s| s.keyword == "PermitRootLogin")
        .unwrap();
    assert_eq!(setting.value, "no");
    assert!(setting
        .source
        .as_ref()
        .unwrap()
        .file
        .ends_with("10-hardening.conf"));
    assert!(access::check(&a, &Config::default()).is_empty());
}

#[test]
fn sloppy_node_findings_point_at_their_lines() {
    let b = node("node-b");
    assert_eq!(b.role.name, "worker");
    let sf = b.pam.second_factor.as_ref().unwrap();
    assert!(!sf.enforced && sf.why_not.as_ref().unwrap().contains("nullok"));
    let mut got: Vec<(String, String, u32)> = access::check(&b, &Config::default())
        .iter()
        .map(|f| {
            let path = f
                .location
                .path
                .rsplit("node-b/")
                .next()
                .unwrap()
                .to_string();
            (f.rule_id.to_string(), path, f.location.line)
        })
        .collect();
    got.sort();
    let want = [
        ("PAL-SSH-001", "etc/ssh/sshd_config", 1),
        ("PAL-SSH-002", "etc/ssh/sshd_config", 2),
        ("PAL-SSH-003", "etc/ssh/sshd_config", 3),
        ("PAL-SSH-003", "etc/ssh/sshd_config", 3),
        ("PAL-SSH-003", "etc/ssh/sshd_config", 3),
        ("PAL-SSH-004", "etc/ssh/sshd_config", 4),
        ("PAL-SSH-005", "home/bob/.ssh/authorized_keys", 1),
        ("PAL-SSH-005", "home/bob/.ssh/authorized_keys", 2),
        ("PAL-SSH-005", "root/.ssh/authorized_keys2", 1),
        ("PAL-SSH-006", "home/bob/.ssh/authorized_keys", 1),
        ("PAL-SSH-006", "home/bob/.ssh/authorized_keys", 2),
    ];
    let want: Vec<(String, String, u32)> = want
        .iter()
        .map(|(r, p, l)| (r.to_string(), p.to_string(), *l))
        .collect();
    assert_eq!(got, want);
    let sev = |id: &str| {
        access::check(&b, &Config::default())
            .into_iter()
            .find(|f| f.rule_id == id)
            .unwrap()
            .severity
    };
    assert_eq!(sev("PAL-SSH-002"), palisade_core::Severity::Critical);
    assert_eq!(sev("PAL-SSH-004"), palisade_core::Severity::Critical);
    // With SSH expected on Kubernetes nodes, PAL-SSH-001 goes.
    let expected = analyze(
        &fixture("node-b"),
        &Options {
            ssh_expected_on_kubernetes: true,
            ..Options::default()
        },
    );
    assert!(access::check(&expected, &Config::default())
        .iter()
        .all(|f| f.rule_id != "PAL-SSH-001"));
}

#[test]
fn match_blocks_and_allow_deny_decide_per_account_on_the_masked_node() {
    let c = node("node-c");
    assert_eq!(c.role.name, "control-plane");
    assert!(!c.sshd.runs());
    let by = |n: &str| c.accounts.iter().find(|a| a.account.name == n).unwrap();
    assert_eq!(
        by("root").login.refused.as_deref(),
        Some("no group in AllowGroups")
    );
    assert_eq!(
        by("mallory").login.refused.as_deref(),
        Some("DenyUsers mallory")
    );
    assert_eq!(
        by("erin").login.refused.as_deref(),
        Some("no group in AllowGroups")
    );
    let carol = by("carol");
    // Match User carol: keys from /etc/ssh/keys/carol, not ~/.ssh (which holds another key).
    assert_eq!(carol.login.usable_keys.len(), 1);
    assert_eq!(carol.keys[carol.login.usable_keys[0]].info.bits, Some(4096));
    // Match Group admins: password on.
    assert!(carol
        .login
        .paths
        .iter()
        .any(|p| p.methods == vec![Method::Password]));
    // Match Address: conditional, both factors then.
    assert_eq!(carol.conditional.len(), 1);
    assert!(carol.conditional[0].login.mfa);
    assert_eq!(carol.conditional[0].when, "Match Address 192.0.2.0/24");
    let dave = by("dave");
    assert!(dave.login.allowed && !dave.conditional[0].login.allowed);
    // sshd masked: no findings at all.
    assert!(access::check(&c, &Config::default()).is_empty());
}

#[test]
fn fleet_matrix_has_one_row_per_user_who_gets_in_somewhere() {
    let nodes: Vec<NodeAccess> = ["node-a", "node-b", "node-c"]
        .iter()
        .map(|n| node(n))
        .collect();
    let m = access::matrix(&nodes);
    assert_eq!(m.nodes, vec!["node-a", "node-b", "node-c"]);
    let users: Vec<&str> = m.rows.iter().map(|r| r.user.as_str()).collect();
    assert_eq!(users, vec!["alice", "bob", "deploy", "guest", "root"]);
    let row = |u: &str| &m.rows.iter().find(|r| r.user == u).unwrap().cells;
    let alice = row("alice");
    assert!(alice[0].as_ref().unwrap().mfa && alice[1].is_none() && alice[2].is_none());
    let root = row("root")[1].as_ref().unwrap();
    assert!(root.root && !root.mfa);
    assert_eq!(root.summary, "key(1) | password");
    assert_eq!(row("guest")[1].as_ref().unwrap().summary, "password");
    // node-c's sshd is masked: nobody gets in there (carol and dave would).
    assert!(m.rows.iter().all(|r| r.cells[2].is_none()));
}

#[test]
fn authorized_keys_writable_by_others_is_found() {
    use std::os::unix::fs::PermissionsExt;
    let root = tree(&[
        ("/etc/ssh/sshd_config", "PasswordAuthentication no\n"),
        ("/etc/passwd", "alice:x:1000:1000::/home/alice:/bin/bash\n"),
        (
            "/home/alice/.ssh/authorized_keys",
            "from=\"10.0.0.1\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHC7coE2mN9KXO5ooLd2HDJDXQoaXPEQT0JAHqpWzO0p a\n",
        ),
    ]);
    let ssh_dir = root.path().join("home/alice/.ssh");
    std::fs::set_permissions(&ssh_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let node = analyze(root.path(), &Options::default());
    let findings = access::check(&node, &Config::default());
    let f = findings
        .iter()
        .find(|f| f.rule_id == "PAL-SSH-007")
        .unwrap();
    assert!(
        f.message.contains("/home/alice/.ssh is mode 0777"),
        "{}",
        f.message
    );
    std::fs::set_permissions(&ssh_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let node = analyze(root.path(), &Options::default());
    assert!(access::check(&node, &Config::default())
        .iter()
        .all(|f| f.rule_id != "PAL-SSH-007"));
}

#[test]
fn bad_input_never_panics_and_is_reported() {
    // Nothing at all.
    let empty = tempfile::tempdir().unwrap();
    let n = analyze(empty.path(), &Options::default());
    assert!(!n.sshd.installed && n.accounts.is_empty());
    // A root that does not exist.
    let n = analyze(Path::new("/nonexistent/palisade/root"), &Options::default());
    assert!(n
        .diagnostics
        .iter()
        .any(|d| d.message.contains("root directory")));

    let garbage: String = (0u8..=255).map(char::from).cycle().take(5000).collect();
    let root = tree(&[
        ("/etc/ssh/sshd_config", &format!("{garbage}\nMatch\nPermitRootLogin\nBanner \"x\nUsePAM yes\nMatch User a\n UsePAM no\nInclude big.conf\n")),
        ("/etc/passwd", &format!("{garbage}\nroot:x:0:0::/root:/bin/sh\n::::\n")),
        ("/etc/group", &garbage),
        ("/etc/pam.d/sshd", &format!("{garbage}\nauth\n@include\nauth required pam_u2f.so\n")),
        ("/root/.ssh/authorized_keys", &garbage),
        ("/etc/ssh/big.conf", &"PermitRootLogin yes\n".repeat(100_000)),
    ]);
    // A FIFO where a file should be must not block.
    let fifo = root.path().join("etc/shadow");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let n = analyze(
        root.path(),
        &Options {
            max_bytes: 64 * 1024,
            ..Options::default()
        },
    );
    let messages: Vec<String> = n.diagnostics.iter().map(|d| d.to_string()).collect();
    let has = |s: &str| messages.iter().any(|m| m.contains(s));
    assert!(has("too large"), "{messages:#?}");
    assert!(has("not a regular file"), "{messages:#?}");
    assert!(has("not allowed inside a Match block"), "{messages:#?}");
    assert!(has("unterminated quote"), "{messages:#?}");
    assert!(has("Match without criteria"), "{messages:#?}");
    assert!(has("@include without a file"), "{messages:#?}");
    assert_eq!(n.accounts.len(), 1);
    // The readable part still counts: the capped file was not read, so the default holds.
    assert_eq!(n.accounts[0].login.settings[0].value, "prohibit-password");
    let _ = access::check(&n, &Config::default());
}

/// How `alice` (uid 1000, groups alice and ops) and `root` log in under a config, in the
/// matrix summary form (`no login` when refused).
fn logins(config: &str, shadow: &str, pam: &str) -> (String, String, Vec<String>) {
    let alice_key =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHC7coE2mN9KXO5ooLd2HDJDXQoaXPEQT0JAHqpWzO0p a";
    let root_keys = format!("command=\"/bin/backup\" {alice_key}\n{alice_key}\n");
    let root = tree(&[
        ("/etc/ssh/sshd_config", config),
        ("/etc/pam.d/sshd", pam),
        (
            "/etc/passwd",
            "root:x:0:0::/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n",
        ),
        ("/etc/shadow", shadow),
        ("/etc/group", "root:x:0:\nalice:x:1000:\nops:x:500:alice\n"),
        (
            "/home/alice/.ssh/authorized_keys",
            &format!("{alice_key}\n"),
        ),
        ("/root/.ssh/authorized_keys", &root_keys),
    ]);
    let n = analyze(root.path(), &Options::default());
    let by = |u: &str| n.accounts.iter().find(|a| a.account.name == u).unwrap();
    let summary = |u: &str| access::fleet::summary(&by(u).login);
    (
        summary("alice"),
        summary("root"),
        by("alice").login.conditions.clone(),
    )
}

#[test]
fn login_semantics_table() {
    const SET: &str = "root:$6$s$h:1::::::\nalice:$6$s$h:1::::::\n";
    const OTP: &str = "auth required pam_unix.so\nauth required pam_google_authenticator.so\n";
    // (case, config, shadow, pam, alice, root)
    let cases: &[(&str, &str, &str, &str, &str, &str)] = &[
        (
            "defaults: keys and passwords, root by key only",
            "",
            SET,
            "",
            "key(1) | password",
            "key(2)",
        ),
        (
            "root forced-commands-only: only the key with command=",
            "PermitRootLogin forced-commands-only\n",
            SET,
            "",
            "key(1) | password",
            "key(1)",
        ),
        (
            "root yes",
            "PermitRootLogin yes\n",
            SET,
            "",
            "key(1) | password",
            "key(2) | password",
        ),
        (
            "without-password is prohibit-password",
            "PermitRootLogin without-password\n",
            SET,
            "",
            "key(1) | password",
            "key(2)",
        ),
        (
            "root no",
            "PermitRootLogin no\n",
            SET,
            "",
            "key(1) | password",
            "no login",
        ),
        (
            "two methods required",
            "AuthenticationMethods publickey,password\n",
            SET,
            "",
            "key(1)+password",
            "no login",
        ),
        (
            "alternatives",
            "AuthenticationMethods publickey,password publickey\n",
            SET,
            "",
            "key(1)+password | key(1)",
            "key(2)",
        ),
        (
            "locked without PAM refuses even keys",
            "UsePAM no\n",
            "root:!:1::::::\nalice:!x:1::::::\n",
            "",
            "no login",
            "no login",
        ),
        (
            "locked with PAM: keys still work",
            "UsePAM yes\nKbdInteractiveAuthentication no\n",
            "root:!:1::::::\nalice:!x:1::::::\n",
            "",
            "key(1)",
            "key(2)",
        ),
        (
            "* disables passwords only",
            "UsePAM no\n",
            "root:*:1::::::\nalice:*:1::::::\n",
            "",
            "key(1)",
            "key(2)",
        ),
        (
            "empty password needs PermitEmptyPasswords",
            "",
            "root:*:1::::::\nalice::1::::::\n",
            "",
            "key(1)",
            "key(2)",
        ),
        (
            "empty password permitted",
            "PermitEmptyPasswords yes\n",
            "root:*:1::::::\nalice::1::::::\n",
            "",
            "key(1) | password",
            "key(2)",
        ),
        (
            "PAM code: kbd-interactive takes both, password alone fails",
            "UsePAM yes\n",
            SET,
            OTP,
            "key(1) | password+otp",
            "key(2)",
        ),
        (
            "key then PAM code",
            "UsePAM yes\nAuthenticationMethods publickey,keyboard-interactive:pam\n",
            SET,
            OTP,
            "key(1)+password+otp",
            "no login",
        ),
        (
            "pubkey off",
            "PubkeyAuthentication no\nPasswordAuthentication no\n",
            SET,
            "",
            "no login",
            "no login",
        ),
        (
            "AllowGroups by supplementary group",
            "AllowGroups ops\n",
            SET,
            "",
            "key(1) | password",
            "no login",
        ),
        (
            "DenyGroups by primary group",
            "DenyGroups alice\n",
            SET,
            "",
            "no login",
            "key(2)",
        ),
        (
            "AllowUsers with a host",
            "AllowUsers alice@10.0.0.0/8\n",
            SET,
            "",
            "key(1) | password",
            "no login",
        ),
        (
            "AuthorizedKeysFile none",
            "AuthorizedKeysFile none\n",
            SET,
            "",
            "password",
            "no login",
        ),
    ];
    for (case, config, shadow, pam, alice, root) in cases {
        let (a, r, _) = logins(config, shadow, pam);
        assert_eq!((a.as_str(), r.as_str()), (*alice, *root), "case: {case}");
    }
    let (_, _, conditions) = logins("AllowUsers alice@10.0.0.0/8\n", SET, "");
    assert_eq!(conditions, vec!["only as AllowUsers alice@10.0.0.0/8"]);
}

#[test]
fn empty_passwords_permitted_in_a_match_block_are_found_at_that_line() {
    let root = tree(&[
        (
            "/etc/ssh/sshd_config",
            "PermitEmptyPasswords no\nMatch User guest\n  PermitEmptyPasswords yes\n",
        ),
        (
            "/etc/passwd",
            "guest:x:1001:1001::/home/guest:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
        ),
        ("/etc/shadow", "guest::1::::::\nalice::1::::::\n"),
    ]);
    let n = analyze(root.path(), &Options::default());
    let findings = access::check(&n, &Config::default());
    let f = findings
        .iter()
        .find(|f| f.rule_id == "PAL-SSH-004")
        .unwrap();
    assert_eq!(f.severity, palisade_core::Severity::Critical);
    assert_eq!(f.location.line, 3);
    // alice's empty password is refused (PermitEmptyPasswords no for her).
    assert!(
        f.message.contains("guest") && !f.message.contains("alice"),
        "{}",
        f.message
    );
    let alice = n
        .accounts
        .iter()
        .find(|a| a.account.name == "alice")
        .unwrap();
    assert!(!alice.login.allowed);
}

/// Random and mutated inputs through every reader: no panic, whatever the bytes.
#[test]
fn random_inputs_never_panic() {
    let seeds = [
        "Include *.conf\nMatch User a Group b\n PermitRootLogin yes\nAllowUsers a@b\n",
        "from=\"a,b\",command=\"x\\\"y\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHC7coE2mN9KXO5ooLd2HDJDXQoaXPEQT0JAHqpWzO0p c\n",
        "auth [success=2 default=ignore] pam_unix.so\n@include x\nauth substack y\n",
        "root:x:0:0::/root:/bin/sh\nsudo:x:27:root\n",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        // xorshift64*: a fixed sequence, so a failure is reproducible.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    for round in 0..300 {
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for seed in seeds {
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..(next() % 12) {
                let pos = (next() as usize) % (bytes.len() + 1);
                match next() % 3 {
                    0 if pos < bytes.len() => {
                        bytes.remove(pos);
                    }
                    1 => bytes.insert(pos, (next() % 256) as u8),
                    _ => bytes.insert(pos, b"\"=,@!*[\\ \n#%"[(next() % 12) as usize]),
                }
            }
            texts.push(bytes);
        }
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, bytes: &[u8]| {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        };
        write("etc/ssh/sshd_config", &texts[0]);
        write("etc/ssh/a.conf", &texts[0]);
        write("root/.ssh/authorized_keys", &texts[1]);
        write("etc/pam.d/sshd", &texts[2]);
        write("etc/pam.d/x", &texts[2]);
        write("etc/passwd", &texts[3]);
        write("etc/group", &texts[3]);
        let n = analyze(dir.path(), &Options::default());
        let _ = access::check(&n, &Config::default());
        let _ = access::matrix(std::slice::from_ref(&n));
        let _ = access::keyblob::inspect(&String::from_utf8_lossy(&texts[1]));
        assert!(n.accounts.len() <= 2, "round {round}");
    }
}

#[test]
fn shells_are_checked_only_in_a_full_image() {
    use std::os::unix::fs::PermissionsExt;
    let files = [
        ("/etc/ssh/sshd_config", "UsePAM yes\n"),
        (
            "/etc/passwd",
            "a:x:1:1::/home/a:/bin/bash\nb:x:2:2::/home/b:/bin/zsh\nc:x:3:3::/home/c:/bin/noexec\nd:x:4:4::/home/d:\n",
        ),
        ("/etc/shadow", "a:$6$s$h:1::::::\nb:$6$s$h:1::::::\nc:$6$s$h:1::::::\nd:$6$s$h:1::::::\n"),
    ];
    // No /bin: nothing is known about shells, everyone gets in.
    let partial = tree(&files);
    let n = analyze(partial.path(), &Options::default());
    assert!(n.accounts.iter().all(|a| a.login.allowed));
    // With /bin: zsh is missing, noexec cannot run, an empty shell is /bin/sh.
    let full = tree(&files);
    for (name, mode) in [("bash", 0o755), ("noexec", 0o644), ("sh", 0o755)] {
        let p = full.path().join("bin").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, "").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let n = analyze(full.path(), &Options::default());
    let refused: Vec<Option<&str>> = n
        .accounts
        .iter()
        .map(|a| a.login.refused.as_deref())
        .collect();
    assert_eq!(
        refused,
        vec![
            None,
            Some("shell /bin/zsh does not exist"),
            Some("shell /bin/noexec is not executable"),
            None
        ]
    );
}

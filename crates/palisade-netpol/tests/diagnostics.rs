//! Bad input: one manifest per problem under `tests/fixtures/diagnostics/`, stating in
//! header comments the exact diagnostics (`# diag: LINE Kind`), how many policies are
//! admitted (`# policies: N`) and, optionally, cells that show the rest is still analysed
//! (`# expect: SRC -> DST: SET`). Nothing may panic.

use std::path::Path;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_netpol::{matrix, Level, Model};

fn run_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let objects = load_str(&path.display().to_string(), &text, &LoadLimits::default()).objects;
    let model = Model::from_objects(&objects);
    let m = matrix(&model);
    let mut want: Vec<(u32, String)> = Vec::new();
    let mut policies = None;
    for line in text.lines().filter_map(|l| l.strip_prefix("# ")) {
        if let Some(rest) = line.strip_prefix("diag: ") {
            let (l, kind) = rest.split_once(' ').ok_or("bad diag line")?;
            want.push((l.parse().map_err(|_| "bad line number")?, kind.to_string()));
        } else if let Some(rest) = line.strip_prefix("policies: ") {
            policies = Some(rest.parse::<usize>().map_err(|_| "bad policies count")?);
        } else if let Some(rest) = line.strip_prefix("expect: ") {
            let (pair, set) = rest.rsplit_once(": ").ok_or("bad expect")?;
            let (src, dst) = pair.split_once(" -> ").ok_or("bad pair")?;
            let s = model.lookup(src).map_err(|e| e.to_string())?;
            let d = model.lookup(dst).map_err(|e| e.to_string())?;
            let got = m.get(s, d).map(ToString::to_string).unwrap_or_default();
            if got != set {
                return Err(format!("{src} -> {dst}: expected `{set}`, got `{got}`"));
            }
        }
    }
    if want.is_empty() {
        return Err("no `# diag:` line".into());
    }
    let mut got: Vec<(u32, String)> = model
        .diagnostics()
        .iter()
        .map(|d| (d.location.line, format!("{:?}", d.kind)))
        .collect();
    want.sort();
    got.sort();
    if got != want {
        let shown: Vec<String> = model
            .diagnostics()
            .iter()
            .map(ToString::to_string)
            .collect();
        return Err(format!(
            "expected {want:?}, got {got:?}:\n{}",
            shown.join("\n")
        ));
    }
    for d in model.diagnostics() {
        // Every diagnostic names the file and a field, and says what it means.
        if !d.location.path.ends_with(".yaml") || d.field.is_empty() || d.message.is_empty() {
            return Err(format!("incomplete diagnostic {d}"));
        }
    }
    // Policies of every kind: NetworkPolicies, Calico policies, admin policies.
    let admitted =
        model.policies().len() + model.calico_policies().len() + model.admin_policies().len();
    // The very object a rejection names (not just its name: a duplicate shares that) is
    // never among the admitted policies.
    let admitted_objects: Vec<&std::sync::Arc<palisade_core::ObjectRef>> = model
        .policies()
        .iter()
        .map(|p| &p.object)
        .chain(model.calico_policies().iter().map(|p| &p.object))
        .chain(model.admin_policies().iter().map(|p| &p.object))
        .collect();
    let admitted_rejected = model.diagnostics().iter().any(|d| {
        d.level == Level::Rejected
            && admitted_objects
                .iter()
                .any(|o| std::sync::Arc::ptr_eq(o, &d.object))
    });
    if admitted_rejected {
        return Err("a rejected policy was admitted".into());
    }
    match policies {
        Some(n) if n != admitted => Err(format!("expected {n} admitted policies, got {admitted}")),
        None => Err("no `# policies:` line".into()),
        _ => Ok(()),
    }
}

#[test]
fn every_diagnostics_fixture_holds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 12,
        "expected the full table, found {}",
        paths.len()
    );
    let failures: Vec<String> = paths
        .iter()
        .filter_map(|p| run_case(p).err().map(|e| format!("{}: {e}", p.display())))
        .collect();
    assert!(
        failures.is_empty(),
        "failing cases:\n{}",
        failures.join("\n\n")
    );
}

#[test]
fn garbage_never_panics() {
    // Every field of the wrong shape, null and scalar where mappings belong.
    let texts = [
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: 7\n",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {podSelector: [], ingress: [1, null, {from: 3, ports: x}], egress: [{to: [null, 5, {ipBlock: 1}]}]}\n",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {policyTypes: [1, 2, 3], ingress: [{ports: [{port: 1.5}, {port: true}, {endPort: x}, 9, {port: 99999999999999999999}]}]}\n",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {ingress: [{from: [{ipBlock: {cidr: null, except: 3}}, {ipBlock: {cidr: ::/0, except: [\"::/0\", x]}}]}]}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: 5, ownerReferences: [1, {controller: true}]}\nspec: {containers: [{ports: [{containerPort: -1}, {containerPort: 99999}, {containerPort: 80, protocol: ICMP}]}]}\n",
    ];
    for text in texts {
        let objects = load_str("g.yaml", text, &LoadLimits::default()).objects;
        let model = Model::from_objects(&objects);
        let m = matrix(&model);
        assert_eq!(m.size(), model.endpoints().len());
    }
    // The malformed policies are all reported and left out.
    let objects = load_str("g.yaml", texts[1], &LoadLimits::default()).objects;
    let model = Model::from_objects(&objects);
    assert!(model.policies().is_empty() && !model.diagnostics().is_empty());
}

#[test]
fn calico_and_admin_garbage_never_panics() {
    let texts = [
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: 7\n",
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: a}\nspec: {order: x, selector: 5, types: [1, Sideways], ingress: [1, null, {action: 3, source: 4, destination: {ports: [true, -1, \"a:b\", \"1:\", 1.5], nets: [1, x]}}], egress: {}}\n",
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {ingress: [{action: Allow, protocol: [1], notProtocol: 999, ipVersion: 5, source: {serviceAccounts: [1], namespaceSelector: {}, selector: [x]}}]}\n",
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\nspec: {order: [1], defaultAction: Allow}\n",
        "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: a}\nspec: {priority: x, subject: [1], ingress: [{action: Allow, from: 3, ports: 4}], egress: [null, {to: [{}, {networks: 7}, {pods: 1}]}]}\n",
        "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec: {subject: {pods: {podSelector: {matchExpressions: [{key: a, operator: Is}]}}}, egress: [{action: Deny, to: [{namespaces: {}}], ports: [{portNumber: 1}, {namedPort: \"--\"}, {portRange: {start: 9, end: 2}}]}]}\n",
    ];
    for text in texts {
        let objects = load_str("g.yaml", text, &LoadLimits::default()).objects;
        let model = Model::from_objects(&objects);
        let m = matrix(&model);
        assert_eq!(m.size(), model.endpoints().len());
        assert!(
            model.calico_policies().is_empty() && model.admin_policies().is_empty(),
            "a malformed policy was admitted from {text}"
        );
        assert!(
            !model.diagnostics().is_empty(),
            "nothing reported for {text}"
        );
    }
}

#[test]
fn random_selector_strings_never_panic() {
    use palisade_netpol::calico::Selector;
    // Pieces of the grammar, and bytes that are not, shuffled at random: parsing must
    // return (an error or a selector) and a selector must evaluate and print back to one
    // that parses the same way.
    let pieces = [
        "a",
        "b.c/d-e",
        " ",
        "\t",
        "==",
        "!=",
        "!",
        "=",
        "&&",
        "||",
        "&",
        "|",
        "(",
        ")",
        "{",
        "}",
        ",",
        "'x'",
        "\"y\"",
        "'",
        "\"",
        "has(",
        "has(a)",
        "all()",
        "global()",
        " in ",
        " not in ",
        " contains ",
        " starts with ",
        " ends with ",
        "starts",
        "é",
        "\n",
        "\0",
        "((((((((",
        "))))",
        "!!!!",
    ];
    let mut rng = fastrand::Rng::with_seed(0x5e1ec7);
    let mut parsed = 0;
    for _ in 0..20_000 {
        let n = rng.usize(0..12);
        let text: String = (0..n).map(|_| pieces[rng.usize(..pieces.len())]).collect();
        if let Ok(sel) = Selector::parse(&text) {
            parsed += 1;
            let _ = sel.matches(|k| (k == "a").then_some("x"));
            let again = Selector::parse(&sel.to_string())
                .unwrap_or_else(|e| panic!("`{text}` printed as `{sel}`, which fails: {e}"));
            assert_eq!(again.to_string(), sel.to_string(), "from `{text}`");
        }
    }
    assert!(
        parsed > 100,
        "the generator hardly ever made a valid selector ({parsed})"
    );
    let deep = "!(".repeat(100_000);
    assert!(Selector::parse(&deep).is_err());
}

//! Compiling and running CEL expressions: the environment (the CEL standard library and
//! macros `has`, `all`, `exists`, `exists_one`, `map`, `filter`, plus [`super::library`]),
//! the static bounds that stand in for Kubernetes' cost budget, and the evaluation clock.
//!
//! Kubernetes estimates each expression's cost when the policy is created and meters it at
//! run time (`k8s.io/apiserver/pkg/cel/environment`: a per-call limit of 1,000,000 cost units,
//! and `RuntimeCELCostBudget` per policy evaluation). The `cel` crate cannot be metered or
//! interrupted, so we bound what an expression can do instead:
//! - comprehensions (macros) may nest at most [`MAX_NESTING`] deep, which keeps work
//!   polynomial in the size of the object (degree ≤ 3);
//! - functions of [`super::library`] cap the strings they build;
//! - the parser's recursion limit caps the depth of an expression;
//! - each evaluation is timed; one that took longer than the bound ([`DEFAULT_EVAL_TIME`])
//!   is reported as an error "exceeded the time bound" and handled by the policy's
//!   `failurePolicy`, like an out-of-budget error upstream. It is measured, not interrupted.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use cel::common::ast::{EntryExpr, Expr};
use cel::objects::{Key, Map};
use cel::{Context, Env, ExecutionError, Program, Value};
use serde_json::Value as Json;

use super::library;

/// How deep macros (`all`, `exists`, `map`, ...) may nest.
pub const MAX_NESTING: usize = 3;

/// The longest expression accepted (Kubernetes validates each expression's estimated cost;
/// a length cap is the static stand-in).
pub const MAX_EXPRESSION_BYTES: usize = 64 * 1024;

/// The default evaluation time bound per expression.
pub const DEFAULT_EVAL_TIME: Duration = Duration::from_millis(100);

fn env() -> &'static Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        // Registering into a fresh environment cannot collide; if it ever did, the
        // functions would simply be missing (and report "no such overload").
        let _ = library::register(&mut env);
        Arc::new(env)
    })
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub struct Expression {
    /// The source text.
    pub source: String,
    program: Arc<Program>,
    /// `variables.NAME` references, for lazy evaluation of variables.
    pub variables: Vec<String>,
}

impl Expression {
    /// The expression's syntax tree.
    pub fn ast(&self) -> &cel::IdedExpr {
        self.program.expression()
    }
}

/// Compiles an expression, or says why not.
pub fn compile(source: &str) -> Result<Expression, String> {
    if source.len() > MAX_EXPRESSION_BYTES {
        return Err(format!(
            "expression is {} bytes, more than the {MAX_EXPRESSION_BYTES} accepted",
            source.len()
        ));
    }
    let program = parse(source)?;
    let depth = nesting(program.expression());
    if depth > MAX_NESTING {
        return Err(format!(
            "macros nest {depth} deep; at most {MAX_NESTING} are accepted (the stand-in for Kubernetes' cost limit)"
        ));
    }
    let mut variables = Vec::new();
    collect_variables(program.expression(), &mut variables);
    variables.sort();
    variables.dedup();
    Ok(Expression {
        source: source.to_string(),
        program: Arc::new(program),
        variables,
    })
}

/// The deepest expression tree accepted: evaluation recurses once per level.
pub const MAX_DEPTH: usize = 40;

/// Brackets may nest this deep in the text (the parser recurses on them before its own
/// recursion limit is checked).
const MAX_BRACKETS: usize = 40;

/// Parses on a thread with a large stack, after refusing text whose brackets nest too deep
/// (the generated parser is recursive and would overflow a small stack first), and refuses
/// trees deeper than [`MAX_DEPTH`].
fn parse(source: &str) -> Result<Program, String> {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in source.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' | '[' | '{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    if deepest > MAX_BRACKETS {
        return Err(format!(
            "brackets nest {deepest} deep; at most {MAX_BRACKETS} are accepted"
        ));
    }
    let text = source.to_string();
    let parsed = std::thread::Builder::new()
        .stack_size(32 << 20)
        .spawn(move || {
            let program = env().compile(&text).map_err(|e| {
                let text = e.to_string();
                text.lines().take(4).collect::<Vec<_>>().join(" ")
            })?;
            // Checked (and a refused tree dropped) here: dropping a deep tree recurses too.
            let depth = ast_depth(program.expression());
            if depth > MAX_DEPTH {
                return Err(format!(
                    "expression nests {depth} deep; at most {MAX_DEPTH} levels are accepted"
                ));
            }
            Ok(program)
        })
        .map_err(|e| format!("cannot start the parser: {e}"))?;
    parsed
        .join()
        .unwrap_or_else(|_| Err("the parser failed".to_string()))
}

/// The depth of the expression tree, without recursion (the tree may be deep).
fn ast_depth(root: &cel::IdedExpr) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(root, 1usize)];
    while let Some((e, d)) = stack.pop() {
        deepest = deepest.max(d);
        if d > MAX_DEPTH {
            break;
        }
        stack.extend(children(&e.expr).into_iter().map(|c| (c, d + 1)));
    }
    deepest
}

pub(super) fn children(e: &Expr) -> Vec<&cel::IdedExpr> {
    match e {
        Expr::Call(c) => c
            .target
            .iter()
            .map(|t| t.as_ref())
            .chain(c.args.iter())
            .collect(),
        Expr::Comprehension(c) => vec![
            &c.iter_range,
            &c.accu_init,
            &c.loop_cond,
            &c.loop_step,
            &c.result,
        ],
        Expr::List(l) => l.elements.iter().collect(),
        Expr::Map(m) => entries(&m.entries),
        Expr::Struct(s) => entries(&s.entries),
        Expr::Select(s) => vec![s.operand.as_ref()],
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => Vec::new(),
    }
}

fn entries(list: &[cel::common::ast::IdedEntryExpr]) -> Vec<&cel::IdedExpr> {
    list.iter()
        .flat_map(|e| match &e.expr {
            EntryExpr::MapEntry(m) => vec![&m.key, &m.value],
            EntryExpr::StructField(f) => vec![&f.value],
        })
        .collect()
}

/// The deepest nesting of comprehensions: the loop body of one inside the loop body of
/// another multiplies the work.
fn nesting(e: &cel::IdedExpr) -> usize {
    match &e.expr {
        Expr::Comprehension(c) => {
            let body = [&c.loop_cond, &c.loop_step, &c.result]
                .iter()
                .map(|x| nesting(x))
                .max()
                .unwrap_or(0);
            let outer = nesting(&c.iter_range).max(nesting(&c.accu_init));
            outer.max(body + 1)
        }
        other => children(other).into_iter().map(nesting).max().unwrap_or(0),
    }
}

fn collect_variables(e: &cel::IdedExpr, out: &mut Vec<String>) {
    if let Expr::Select(s) = &e.expr {
        if matches!(&s.operand.expr, Expr::Ident(name) if name == "variables") {
            out.push(s.field.clone());
        }
    }
    for c in children(&e.expr) {
        collect_variables(c, out);
    }
}

/// JSON as a CEL value, typed as Kubernetes' unstructured objects are: a whole number that
/// fits in 64 bits is an `int` (never a `uint`), any other number a `double`. (serde's
/// conversion made non-negative integers `uint`, so `object.spec.replicas * 2` found no
/// overload where kube-apiserver computes 4; tests/vap_oracle.rs.)
pub fn value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::String(Arc::new(s.clone())),
        Json::Array(items) => Value::List(Arc::new(items.iter().map(value).collect())),
        Json::Object(fields) => Value::Map(Map {
            map: Arc::new(
                fields
                    .iter()
                    .map(|(k, v)| (Key::String(Arc::new(k.clone())), value(v)))
                    .collect(),
            ),
        }),
    }
}

/// A root scope: the CEL environment with these variables (`object`, `oldObject`,
/// `request`, `namespaceObject`), each converted to the evaluator's representation once.
/// Every expression of every policy on a request runs in a child of it
/// ([`Context::new_inner_scope`]): converting the object per expression was most of the
/// time a request spent in ValidatingAdmissionPolicies.
pub fn scope(values: &[(&str, Value)]) -> Context<'static, 'static> {
    let mut ctx = Context::with_env(Arc::clone(env()));
    for (name, v) in values {
        ctx.add_variable_from_value(*name, v.clone());
    }
    ctx
}

/// Runs an expression in `ctx`; an error, or a run longer than `bound`, is an `Err` with the
/// message Kubernetes' evaluator would give.
pub fn run(expr: &Expression, ctx: &Context<'_, '_>, bound: Duration) -> Result<Value, String> {
    let started = Instant::now();
    let result = expr.program.execute(ctx);
    let took = started.elapsed();
    if took > bound {
        return Err(format!(
            "expression '{}' exceeded the time bound of {} ms ({} ms)",
            expr.source.trim(),
            bound.as_millis(),
            took.as_millis()
        ));
    }
    result.map_err(|e| describe(&expr.source, &e))
}

fn describe(source: &str, e: &ExecutionError) -> String {
    let detail = match e {
        ExecutionError::NoSuchKey(k) => format!("no such key: {k}"),
        ExecutionError::UndeclaredReference(r) if r.as_str() == "authorizer" => {
            "the authorizer is not available outside an API server".to_string()
        }
        other => other.to_string(),
    };
    // cel.go `Filter.ForInput`: "expression '%v' resulted in error: %v".
    format!("expression '{}' resulted in error: {detail}", source.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(src: &str, object: Json) -> Result<Value, String> {
        let e = compile(src)?;
        run(&e, &scope(&[("object", value(&object))]), DEFAULT_EVAL_TIME)
    }

    fn yes(src: &str) {
        assert_eq!(eval(src, json!({})), Ok(Value::Bool(true)), "{src}");
    }

    #[test]
    fn macros_and_has() {
        let pod = json!({"spec": {"containers": [{"name": "a", "image": "r.io/a"}, {"name": "b", "image": "r.io/b"}]}});
        let ok = |s: &str| assert_eq!(eval(s, pod.clone()), Ok(Value::Bool(true)), "{s}");
        ok("object.spec.containers.all(c, c.image.startsWith('r.io/'))");
        ok("object.spec.containers.exists(c, c.name == 'b')");
        ok("object.spec.containers.exists_one(c, c.name == 'b')");
        ok("object.spec.containers.map(c, c.name) == ['a', 'b']");
        ok("object.spec.containers.filter(c, c.name == 'a').size() == 1");
        ok("!has(object.spec.hostNetwork) && has(object.spec.containers)");
        assert!(eval("object.spec.hostNetwork", pod)
            .unwrap_err()
            .contains("no such key"));
    }

    #[test]
    fn strings_library() {
        yes("'TacoCat'.lowerAscii() == 'tacocat' && 'a'.upperAscii() == 'A'");
        yes("'a,b,c'.split(',') == ['a', 'b', 'c'] && 'a,b,c'.split(',', 2) == ['a', 'b,c']");
        yes("['a', 'b'].join('-') == 'a-b' && ['a', 'b'].join() == 'ab'");
        yes("'aaa'.replace('a', 'b', 2) == 'bba' && ' x '.trim() == 'x'");
        yes("'hello'.indexOf('l') == 2 && 'hello'.lastIndexOf('l') == 3 && 'hello'.indexOf('z') == -1");
        yes("'héllo'.substring(1, 3) == 'él' && 'hello'.substring(3) == 'lo' && 'abc'.charAt(1) == 'b'");
        assert!(eval("'abc'.substring(2, 1)", json!({})).is_err());
        assert!(eval("'a'.replace('a', 'aaaaaaaaaaaaaaaa').replace('a', 'aaaaaaaaaaaaaaaa').replace('a', 'aaaaaaaaaaaaaaaa').replace('a', 'aaaaaaaaaaaaaaaa').replace('a', 'aaaaaaaaaaaaaaaa').replace('a', 'aaaaaaaaaaaaaaaa')", json!({})).unwrap_err().contains("exceeds"));
    }

    #[test]
    fn lists_regex_quantity_url() {
        yes("[1, 2, 3].isSorted() && ![2, 1].isSorted() && [1, 2, 3].sum() == 6 && [].sum() == 0");
        yes("[3, 1, 2].min() == 1 && [3, 1, 2].max() == 3 && [1, 2, 1].indexOf(1) == 0 && [1, 2, 1].lastIndexOf(1) == 2");
        yes("['b', 'a'].max() == 'b' && [1.5, 0.5].sum() == 2.0");
        assert!(eval("[].min()", json!({}))
            .unwrap_err()
            .contains("empty list"));
        yes("'abc 123 def 456'.find('[0-9]+') == '123' && 'abc 123 def 456'.findAll('[0-9]+') == ['123', '456']");
        yes("'abc 123 def 456'.findAll('[0-9]+', 1) == ['123'] && 'abc'.find('[0-9]') == '' && 'abc'.matches('^a')");
        yes("quantity('1Gi').isGreaterThan(quantity('1G')) && quantity('500m').isLessThan(quantity('1'))");
        yes("quantity('1') == quantity('1000m') && quantity('1') != quantity('2')");
        yes("quantity('2k').asInteger() == 2000 && quantity('1Gi').compareTo(quantity('1024Mi')) == 0");
        yes("isQuantity('10Mi') && !isQuantity('ten') && quantity('1').add(quantity('500m')).compareTo(quantity('1.5')) == 0");
        assert!(eval("quantity('1.5').asInteger()", json!({})).is_err());
        yes("url('https://example.com:80/path?a=b').getScheme() == 'https' && url('https://example.com:80/').getHost() == 'example.com:80'");
        yes("url('https://example.com:80/x').getPort() == '80' && url('https://example.com/p%20q').getEscapedPath() == '/p%20q'");
        yes("isURL('https://a.b') && !isURL('not a url') && url('/p?x=1&x=2').getQuery()['x'] == ['1', '2']");
        yes("url('https://[::1]:8080/').getHostname() == '::1'");
    }

    #[test]
    fn deep_expressions_are_refused_not_overflowed() {
        let parens = format!("{}1{}", "(".repeat(500), ")".repeat(500));
        assert!(compile(&parens).unwrap_err().contains("brackets"));
        let chain = vec!["1"; 400].join(" + ");
        assert!(
            compile(&chain).unwrap_err().contains("deep"),
            "{:?}",
            compile(&chain).map(|_| ())
        );
        // Brackets inside string literals do not count.
        assert!(compile(&format!("'{}' != ''", "(".repeat(100))).is_ok());
        let sum = vec!["1"; 38].join(" + ");
        assert_eq!(
            eval(&format!("{sum} == 38"), json!({})),
            Ok(Value::Bool(true))
        );
    }

    #[test]
    fn optional_syntax_works_and_the_unsupported_fail_cleanly() {
        yes("object.?spec.?replicas.orValue(1) == 1 && optional.of(1).hasValue()");
        yes("1 == 1.0 && 'a' in {'a': 1} && type(1) == int");
        // Documented as not covered: an error (→ failurePolicy), never a wrong answer.
        for src in [
            "{'a': 1}.all(k, v, v == 1)",
            "timestamp('2024-01-01T00:00:00Z')",
            "duration('1s')",
        ] {
            assert!(eval(src, json!({})).is_err(), "{src}");
        }
    }

    #[test]
    fn bounds_and_variable_references() {
        assert!(
            compile("[1].all(a, [1].all(b, [1].all(c, [1].all(d, true))))")
                .unwrap_err()
                .contains("nest")
        );
        assert!(compile("[1].all(a, [1].all(b, [1].all(c, true)))").is_ok());
        assert!(compile("object.spec.(").is_err());
        let e = compile("variables.a + variables.b > object.x && variables.a > 0").unwrap();
        assert_eq!(e.variables, vec!["a", "b"]);
        assert!(eval("authorizer.group('apps')", json!({}))
            .unwrap_err()
            .contains("authorizer"));
    }
}

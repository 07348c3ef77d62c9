//! The CEL functions Kubernetes adds to its environment and `cel` (the crate) lacks, with
//! Kubernetes' semantics: the strings extension (cel-go `ext.Strings`, version 2, as
//! `k8s.io/apiserver/pkg/cel/environment` `base.go` enables it), and the libraries of
//! `k8s.io/apiserver/pkg/cel/library`: `lists.go`, `regex.go`, `urls.go`, `quantity.go`.
//!
//! Every function works on `cel::Value`s: the crate's overloads take borrowed values, which
//! are converted at the boundary ([`call`]). String results are capped at
//! [`MAX_STRING_BYTES`] so that chained `replace`/`join` cannot exhaust memory (Kubernetes
//! bounds them through its cost budget instead).

use std::cmp::Ordering;
use std::sync::Arc;

use cel::common::types::{Type, DYN_TYPE, LIST_TYPE, STRING_TYPE};
use cel::common::value::{CowVal, Val};
use cel::objects::Opaque;
use cel::{DeclarationError, Env, ExecutionError, Value};

use super::quantity::Quantity;
use super::url::Url;

/// The largest string a function here returns.
pub const MAX_STRING_BYTES: usize = 1 << 20;

type Native = fn(&[Value]) -> Result<Value, ExecutionError>;

/// Converts the arguments to `Value`s, runs `f`, converts back. The environment only calls
/// an overload with as many arguments as it was registered with (receiver first), which is
/// what lets the functions below index their arguments.
fn call<'b, 'v>(args: Vec<CowVal<'b, 'v>>, f: Native) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let values = args
        .iter()
        .map(|a| Value::try_from(a.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    let out: Box<dyn Val> = f(&values)?.try_into()?;
    Ok(CowVal::Owned(out))
}

macro_rules! natives {
    ($($wrapper:ident => $imp:ident),* $(,)?) => {
        $(fn $wrapper<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
            call(args, $imp)
        })*
    };
}

fn err(function: &str, message: impl ToString) -> ExecutionError {
    ExecutionError::function_error(function, message)
}

fn string<'a>(v: &'a Value, f: &str) -> Result<&'a str, ExecutionError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(err(
            f,
            format!("expected a string, got {}", other.type_of()),
        )),
    }
}

fn int(v: &Value, f: &str) -> Result<i64, ExecutionError> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(err(f, format!("expected an int, got {}", other.type_of()))),
    }
}

fn list<'a>(v: &'a Value, f: &str) -> Result<&'a [Value], ExecutionError> {
    match v {
        Value::List(l) => Ok(l),
        other => Err(err(f, format!("expected a list, got {}", other.type_of()))),
    }
}

fn text(s: String, f: &str) -> Result<Value, ExecutionError> {
    if s.len() > MAX_STRING_BYTES {
        return Err(err(f, format!("result exceeds {MAX_STRING_BYTES} bytes")));
    }
    Ok(Value::String(Arc::new(s)))
}

fn opaque<T: 'static>(v: &Value) -> Option<&T> {
    match v {
        Value::Opaque(o) => o.downcast_ref::<T>(),
        _ => None,
    }
}

// ---- strings (cel-go ext.Strings v2: indices count code points) ----

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

fn index_in(f: &str, len: usize, i: i64) -> Result<usize, ExecutionError> {
    usize::try_from(i)
        .ok()
        .filter(|&i| i <= len)
        .ok_or_else(|| err(f, format!("index out of range: {i}")))
}

fn char_at(a: &[Value]) -> Result<Value, ExecutionError> {
    let s = chars(string(&a[0], "charAt")?);
    let i = index_in("charAt", s.len(), int(&a[1], "charAt")?)?;
    text(
        s.get(i).map(|c| c.to_string()).unwrap_or_default(),
        "charAt",
    )
}

fn find_from(hay: &[char], needle: &[char], from: usize, last: bool) -> i64 {
    if needle.is_empty() {
        return if last { hay.len() as i64 } else { from as i64 };
    }
    let mut starts =
        (from..=hay.len().saturating_sub(needle.len())).filter(|&i| hay[i..].starts_with(needle));
    let found = if last {
        starts.next_back()
    } else {
        starts.next()
    };
    found.map_or(-1, |i| i as i64)
}

fn index_of(a: &[Value]) -> Result<Value, ExecutionError> {
    if let Value::List(l) = &a[0] {
        return Ok(Value::Int(
            l.iter().position(|x| x == &a[1]).map_or(-1, |i| i as i64),
        ));
    }
    let hay = chars(string(&a[0], "indexOf")?);
    let needle = chars(string(&a[1], "indexOf")?);
    let from = match a.get(2) {
        Some(o) => index_in("indexOf", hay.len(), int(o, "indexOf")?)?,
        None => 0,
    };
    Ok(Value::Int(find_from(&hay, &needle, from, false)))
}

fn last_index_of(a: &[Value]) -> Result<Value, ExecutionError> {
    if let Value::List(l) = &a[0] {
        return Ok(Value::Int(
            l.iter().rposition(|x| x == &a[1]).map_or(-1, |i| i as i64),
        ));
    }
    let hay = chars(string(&a[0], "lastIndexOf")?);
    let needle = chars(string(&a[1], "lastIndexOf")?);
    let end = match a.get(2) {
        Some(o) => index_in("lastIndexOf", hay.len(), int(o, "lastIndexOf")?)?,
        None => hay.len(),
    };
    // The match must start at or before `end`.
    let window = (end + needle.len()).min(hay.len());
    Ok(Value::Int(find_from(&hay[..window], &needle, 0, true)))
}

fn lower_ascii(a: &[Value]) -> Result<Value, ExecutionError> {
    text(
        string(&a[0], "lowerAscii")?.to_ascii_lowercase(),
        "lowerAscii",
    )
}

fn upper_ascii(a: &[Value]) -> Result<Value, ExecutionError> {
    text(
        string(&a[0], "upperAscii")?.to_ascii_uppercase(),
        "upperAscii",
    )
}

fn trim(a: &[Value]) -> Result<Value, ExecutionError> {
    text(string(&a[0], "trim")?.trim().to_string(), "trim")
}

fn replace(a: &[Value]) -> Result<Value, ExecutionError> {
    let s = string(&a[0], "replace")?;
    let (from, to) = (string(&a[1], "replace")?, string(&a[2], "replace")?);
    let n = match a.get(3) {
        Some(n) => int(n, "replace")?,
        None => -1,
    };
    // Bound the result before building it.
    let count = if from.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(from).count()
    };
    let count = if n < 0 { count } else { count.min(n as usize) };
    if s.len() + count.saturating_mul(to.len()) > MAX_STRING_BYTES {
        return Err(err(
            "replace",
            format!("result exceeds {MAX_STRING_BYTES} bytes"),
        ));
    }
    let out = if n < 0 {
        s.replace(from, to)
    } else {
        s.replacen(from, to, n as usize)
    };
    text(out, "replace")
}

fn split(a: &[Value]) -> Result<Value, ExecutionError> {
    let s = string(&a[0], "split")?;
    let sep = string(&a[1], "split")?;
    let n = match a.get(2) {
        Some(n) => int(n, "split")?,
        None => -1,
    };
    // Go's strings.SplitN: n == 0 → none, n < 0 → all; an empty separator splits runes.
    let parts: Vec<String> = match (n, sep.is_empty()) {
        (0, _) => Vec::new(),
        (n, true) => {
            let cs = chars(s);
            let limit = if n < 0 {
                cs.len()
            } else {
                (n as usize).min(cs.len())
            };
            let mut out: Vec<String> = cs
                .iter()
                .take(limit.saturating_sub(1))
                .map(|c| c.to_string())
                .collect();
            if limit > 0 {
                out.push(cs[limit - 1..].iter().collect());
            }
            out
        }
        (n, false) if n < 0 => s.split(sep).map(str::to_string).collect(),
        (n, false) => s.splitn(n as usize, sep).map(str::to_string).collect(),
    };
    Ok(Value::List(Arc::new(
        parts
            .into_iter()
            .map(|p| Value::String(Arc::new(p)))
            .collect(),
    )))
}

fn substring(a: &[Value]) -> Result<Value, ExecutionError> {
    let s = chars(string(&a[0], "substring")?);
    let start = index_in("substring", s.len(), int(&a[1], "substring")?)?;
    let end = match a.get(2) {
        Some(e) => index_in("substring", s.len(), int(e, "substring")?)?,
        None => s.len(),
    };
    if start > end {
        return Err(err(
            "substring",
            format!("invalid substring range. start: {start}, end: {end}"),
        ));
    }
    text(s[start..end].iter().collect(), "substring")
}

fn join(a: &[Value]) -> Result<Value, ExecutionError> {
    let items = list(&a[0], "join")?;
    let sep = match a.get(1) {
        Some(s) => string(s, "join")?,
        None => "",
    };
    let parts = items
        .iter()
        .map(|i| string(i, "join"))
        .collect::<Result<Vec<_>, _>>()?;
    let size: usize = parts.iter().map(|p| p.len() + sep.len()).sum();
    if size > MAX_STRING_BYTES {
        return Err(err(
            "join",
            format!("result exceeds {MAX_STRING_BYTES} bytes"),
        ));
    }
    text(parts.join(sep), "join")
}

// ---- lists (library/lists.go) ----

fn compare(f: &str, a: &Value, b: &Value) -> Result<Ordering, ExecutionError> {
    let comparable = matches!(
        (a, b),
        (Value::Int(_), Value::Int(_))
            | (Value::UInt(_), Value::UInt(_))
            | (Value::Float(_), Value::Float(_))
            | (Value::String(_), Value::String(_))
            | (Value::Bool(_), Value::Bool(_))
            | (Value::Bytes(_), Value::Bytes(_))
    );
    if let (Some(x), Some(y)) = (opaque::<Quantity>(a), opaque::<Quantity>(b)) {
        return Ok(x.compare(y));
    }
    match a.partial_cmp(b) {
        Some(o) if comparable => Ok(o),
        _ => Err(err(
            f,
            format!("cannot compare {} with {}", a.type_of(), b.type_of()),
        )),
    }
}

fn is_sorted(a: &[Value]) -> Result<Value, ExecutionError> {
    let l = list(&a[0], "isSorted")?;
    for w in l.windows(2) {
        if compare("isSorted", &w[0], &w[1])? == Ordering::Greater {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn sum(a: &[Value]) -> Result<Value, ExecutionError> {
    let l = list(&a[0], "sum")?;
    let mut acc = match l.first() {
        None | Some(Value::Int(_)) => Value::Int(0),
        Some(Value::UInt(_)) => Value::UInt(0),
        Some(Value::Float(_)) => Value::Float(0.0),
        Some(other) => return Err(err("sum", format!("cannot sum {}", other.type_of()))),
    };
    for x in l {
        acc = match (&acc, x) {
            (Value::Int(s), Value::Int(v)) => Value::Int(
                s.checked_add(*v)
                    .ok_or_else(|| err("sum", "integer overflow"))?,
            ),
            (Value::UInt(s), Value::UInt(v)) => Value::UInt(
                s.checked_add(*v)
                    .ok_or_else(|| err("sum", "integer overflow"))?,
            ),
            (Value::Float(s), Value::Float(v)) => Value::Float(s + v),
            _ => return Err(err("sum", "list elements must have the same numeric type")),
        };
    }
    Ok(acc)
}

fn extreme(a: &[Value], f: &str, want: Ordering) -> Result<Value, ExecutionError> {
    let l = list(&a[0], f)?;
    let mut best = l
        .first()
        .ok_or_else(|| err(f, format!("{f} called on empty list")))?;
    for x in &l[1..] {
        if compare(f, x, best)? == want {
            best = x;
        }
    }
    Ok(best.clone())
}

fn min(a: &[Value]) -> Result<Value, ExecutionError> {
    extreme(a, "min", Ordering::Less)
}

fn max(a: &[Value]) -> Result<Value, ExecutionError> {
    extreme(a, "max", Ordering::Greater)
}

// ---- regex (library/regex.go) ----

fn regex(pattern: &str, f: &str) -> Result<regex::Regex, ExecutionError> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| err(f, format!("invalid regular expression: {e}")))
}

fn find(a: &[Value]) -> Result<Value, ExecutionError> {
    let s = string(&a[0], "find")?;
    let re = regex(string(&a[1], "find")?, "find")?;
    text(
        re.find(s)
            .map(|m| m.as_str().to_string())
            .unwrap_or_default(),
        "find",
    )
}

fn find_all(a: &[Value]) -> Result<Value, ExecutionError> {
    let s = string(&a[0], "findAll")?;
    let re = regex(string(&a[1], "findAll")?, "findAll")?;
    let n = match a.get(2) {
        Some(n) => int(n, "findAll")?,
        None => -1,
    };
    let limit = if n < 0 { usize::MAX } else { n as usize };
    let found = re
        .find_iter(s)
        .take(limit)
        .map(|m| Value::String(Arc::new(m.as_str().to_string())))
        .collect();
    Ok(Value::List(Arc::new(found)))
}

// ---- quantity (library/quantity.go) ----

fn quantity_of<'a>(v: &'a Value, f: &str) -> Result<&'a Quantity, ExecutionError> {
    opaque::<Quantity>(v).ok_or_else(|| err(f, "expected a Quantity"))
}

fn quantity(a: &[Value]) -> Result<Value, ExecutionError> {
    let q = Quantity::parse(string(&a[0], "quantity")?).map_err(|e| err("quantity", e))?;
    Ok(Value::Opaque(Arc::new(q) as Arc<dyn Opaque>))
}

fn is_quantity(a: &[Value]) -> Result<Value, ExecutionError> {
    Ok(Value::Bool(
        Quantity::parse(string(&a[0], "isQuantity")?).is_ok(),
    ))
}

fn q_compare_to(a: &[Value]) -> Result<Value, ExecutionError> {
    let o = quantity_of(&a[0], "compareTo")?.compare(quantity_of(&a[1], "compareTo")?);
    Ok(Value::Int(o as i64))
}

fn q_greater(a: &[Value]) -> Result<Value, ExecutionError> {
    let o = quantity_of(&a[0], "isGreaterThan")?.compare(quantity_of(&a[1], "isGreaterThan")?);
    Ok(Value::Bool(o == Ordering::Greater))
}

fn q_less(a: &[Value]) -> Result<Value, ExecutionError> {
    let o = quantity_of(&a[0], "isLessThan")?.compare(quantity_of(&a[1], "isLessThan")?);
    Ok(Value::Bool(o == Ordering::Less))
}

fn q_as_integer(a: &[Value]) -> Result<Value, ExecutionError> {
    quantity_of(&a[0], "asInteger")?
        .as_integer()
        .map(Value::Int)
        .ok_or_else(|| err("asInteger", "cannot convert value to integer"))
}

fn q_is_integer(a: &[Value]) -> Result<Value, ExecutionError> {
    Ok(Value::Bool(
        quantity_of(&a[0], "isInteger")?.as_integer().is_some(),
    ))
}

fn q_approx(a: &[Value]) -> Result<Value, ExecutionError> {
    Ok(Value::Float(
        quantity_of(&a[0], "asApproximateFloat")?.approx(),
    ))
}

fn q_arith(a: &[Value], f: &str, negate: bool) -> Result<Value, ExecutionError> {
    let x = quantity_of(&a[0], f)?;
    let y = match &a[1] {
        Value::Int(i) => Quantity::parse(&i.to_string()).map_err(|e| err(f, e))?,
        other => quantity_of(other, f)?.clone(),
    };
    let q = x
        .add(&y, negate)
        .ok_or_else(|| err(f, "quantity overflow"))?;
    Ok(Value::Opaque(Arc::new(q) as Arc<dyn Opaque>))
}

fn q_add(a: &[Value]) -> Result<Value, ExecutionError> {
    q_arith(a, "add", false)
}

fn q_sub(a: &[Value]) -> Result<Value, ExecutionError> {
    q_arith(a, "sub", true)
}

// ---- URLs (library/urls.go) ----

fn url_of<'a>(v: &'a Value, f: &str) -> Result<&'a Url, ExecutionError> {
    opaque::<Url>(v).ok_or_else(|| err(f, "expected a URL"))
}

fn url(a: &[Value]) -> Result<Value, ExecutionError> {
    let u = Url::parse(string(&a[0], "url")?).map_err(|e| err("url", e))?;
    Ok(Value::Opaque(Arc::new(u) as Arc<dyn Opaque>))
}

fn is_url(a: &[Value]) -> Result<Value, ExecutionError> {
    Ok(Value::Bool(Url::parse(string(&a[0], "isURL")?).is_ok()))
}

fn url_part(a: &[Value], f: &str, part: fn(&Url) -> String) -> Result<Value, ExecutionError> {
    text(part(url_of(&a[0], f)?), f)
}

fn get_scheme(a: &[Value]) -> Result<Value, ExecutionError> {
    url_part(a, "getScheme", |u| u.scheme.clone())
}

fn get_host(a: &[Value]) -> Result<Value, ExecutionError> {
    url_part(a, "getHost", |u| u.host.clone())
}

fn get_hostname(a: &[Value]) -> Result<Value, ExecutionError> {
    url_part(a, "getHostname", Url::hostname)
}

fn get_port(a: &[Value]) -> Result<Value, ExecutionError> {
    url_part(a, "getPort", Url::port)
}

fn get_escaped_path(a: &[Value]) -> Result<Value, ExecutionError> {
    url_part(a, "getEscapedPath", |u| u.path.clone())
}

fn get_query(a: &[Value]) -> Result<Value, ExecutionError> {
    let mut map: std::collections::HashMap<cel::objects::Key, Value> = Default::default();
    for (k, v) in url_of(&a[0], "getQuery")?.query() {
        let key = cel::objects::Key::String(Arc::new(k));
        let entry = map
            .entry(key)
            .or_insert_with(|| Value::List(Arc::new(Vec::new())));
        if let Value::List(l) = entry {
            Arc::make_mut(l).push(Value::String(Arc::new(v)));
        }
    }
    Ok(Value::Map(cel::objects::Map { map: Arc::new(map) }))
}

natives! {
    w_char_at => char_at, w_index_of => index_of, w_last_index_of => last_index_of,
    w_lower_ascii => lower_ascii, w_upper_ascii => upper_ascii, w_trim => trim,
    w_replace => replace, w_split => split, w_substring => substring, w_join => join,
    w_is_sorted => is_sorted, w_sum => sum, w_min => min, w_max => max,
    w_find => find, w_find_all => find_all,
    w_quantity => quantity, w_is_quantity => is_quantity, w_q_compare_to => q_compare_to,
    w_q_greater => q_greater, w_q_less => q_less, w_q_as_integer => q_as_integer,
    w_q_is_integer => q_is_integer, w_q_approx => q_approx,
    w_q_add => q_add, w_q_sub => q_sub,
    w_url => url, w_is_url => is_url, w_get_scheme => get_scheme, w_get_host => get_host,
    w_get_hostname => get_hostname, w_get_port => get_port,
    w_get_escaped_path => get_escaped_path, w_get_query => get_query,
}

type Function = cel::common::functions::Function;

/// Registers every function of this module on `env`.
pub fn register(env: &mut Env) -> Result<(), DeclarationError> {
    let s = || STRING_TYPE;
    let d = || DYN_TYPE;
    // (name, receiver, argument types, implementation); receiver None = global function.
    let table: Vec<(&str, Option<Type>, Vec<Type>, Function)> = vec![
        ("charAt", Some(s()), vec![d()], w_char_at),
        ("indexOf", Some(s()), vec![d()], w_index_of),
        ("indexOf", Some(s()), vec![d(), d()], w_index_of),
        ("lastIndexOf", Some(s()), vec![d()], w_last_index_of),
        ("lastIndexOf", Some(s()), vec![d(), d()], w_last_index_of),
        ("lowerAscii", Some(s()), vec![], w_lower_ascii),
        ("upperAscii", Some(s()), vec![], w_upper_ascii),
        ("trim", Some(s()), vec![], w_trim),
        ("replace", Some(s()), vec![d(), d()], w_replace),
        ("replace", Some(s()), vec![d(), d(), d()], w_replace),
        ("split", Some(s()), vec![d()], w_split),
        ("split", Some(s()), vec![d(), d()], w_split),
        ("substring", Some(s()), vec![d()], w_substring),
        ("substring", Some(s()), vec![d(), d()], w_substring),
        ("join", Some(LIST_TYPE), vec![], w_join),
        ("join", Some(LIST_TYPE), vec![d()], w_join),
        ("indexOf", Some(LIST_TYPE), vec![d()], w_index_of),
        ("lastIndexOf", Some(LIST_TYPE), vec![d()], w_last_index_of),
        ("isSorted", Some(LIST_TYPE), vec![], w_is_sorted),
        ("sum", Some(LIST_TYPE), vec![], w_sum),
        ("min", Some(LIST_TYPE), vec![], w_min),
        ("max", Some(LIST_TYPE), vec![], w_max),
        ("find", Some(s()), vec![d()], w_find),
        ("findAll", Some(s()), vec![d()], w_find_all),
        ("findAll", Some(s()), vec![d(), d()], w_find_all),
        ("quantity", None, vec![s()], w_quantity),
        ("isQuantity", None, vec![s()], w_is_quantity),
        ("compareTo", Some(d()), vec![d()], w_q_compare_to),
        ("isGreaterThan", Some(d()), vec![d()], w_q_greater),
        ("isLessThan", Some(d()), vec![d()], w_q_less),
        ("asInteger", Some(d()), vec![], w_q_as_integer),
        ("isInteger", Some(d()), vec![], w_q_is_integer),
        ("asApproximateFloat", Some(d()), vec![], w_q_approx),
        // No `sign()`: kube-apiserver 1.34.4 refuses a policy that calls it on a Quantity
        // ("found no matching overload for 'sign'"; tests/vap_oracle.rs).
        ("add", Some(d()), vec![d()], w_q_add),
        ("sub", Some(d()), vec![d()], w_q_sub),
        ("url", None, vec![s()], w_url),
        ("isURL", None, vec![s()], w_is_url),
        ("getScheme", Some(d()), vec![], w_get_scheme),
        ("getHost", Some(d()), vec![], w_get_host),
        ("getHostname", Some(d()), vec![], w_get_hostname),
        ("getPort", Some(d()), vec![], w_get_port),
        ("getEscapedPath", Some(d()), vec![], w_get_escaped_path),
        ("getQuery", Some(d()), vec![], w_get_query),
    ];
    for (i, (name, receiver, args, f)) in table.into_iter().enumerate() {
        let id = format!("k8s_{name}_{i}");
        match receiver {
            Some(t) => env.add_member_overload(name, &id, t, args, f)?,
            None => env.add_overload(name, &id, args, f)?,
        }
    }
    Ok(())
}

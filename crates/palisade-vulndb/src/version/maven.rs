//! Maven versions, ordered like Maven 3.8's `ComparableVersion`
//! (`org.apache.maven.artifact.versioning`, the version on this machine).
//!
//! The version is lowercased and split into a tree: `.` separates items of
//! one list, `-` and every switch between digits and letters open a nested
//! list (`1-1` is `[1, [1]]`, so `1-1 < 1.1`), and since Maven 3.6 a
//! qualifier after a dot is treated like one after a dash (`1.0.RC1` is
//! `1-rc-1`). Lists drop null items (`0`, `""`, empty lists) that are not
//! followed by a plain item, which is the padding rule (`1.0.0 == 1`).
//! Items compare as in `IntItem`, `StringItem` and `ListItem`: numbers
//! numerically and above everything, known qualifiers in the order
//! alpha < beta < milestone < rc (= cr) < snapshot < "" (= ga, final,
//! release) < sp, unknown qualifiers after those, alphabetically.

use super::VersionError;
use std::cmp::Ordering;
use std::fmt;

const SCHEME: &str = "maven";

/// One node of the parsed tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A number, as digits without leading zeros (`""` is zero).
    Int(String),
    /// A qualifier, lowercased and with its aliases resolved.
    Str(String),
    /// A nested list.
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// Index of the release qualifier `""` in [`QUALIFIERS`].
const RELEASE_INDEX: usize = 5;

/// A parsed Maven version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The version as written.
    pub raw: String,
    /// The item tree (`ComparableVersion.items`).
    pub items: Vec<Item>,
}

impl Version {
    /// Parses like `ComparableVersion.parseVersion`, which accepts every
    /// string; we reject only the empty (or all-blank) one.
    pub fn parse(input: &str) -> Result<Version, VersionError> {
        if input.trim().is_empty() {
            return Err(VersionError::new(SCHEME, input, "version string is empty"));
        }
        Ok(Version {
            raw: input.to_string(),
            items: parse_items(input),
        })
    }

    /// The canonical form Maven prints (`ComparableVersion.getCanonical`).
    pub fn canonical(&self) -> String {
        render(&self.items)
    }
}

fn render(items: &[Item]) -> String {
    let mut out = String::new();
    for item in items {
        // Like `ListItem.toString`: no separator while nothing is printed.
        if !out.is_empty() {
            out.push(if matches!(item, Item::List(_)) {
                '-'
            } else {
                '.'
            });
        }
        match item {
            Item::Int(d) if d.is_empty() => out.push('0'),
            Item::Int(d) | Item::Str(d) => out.push_str(d),
            Item::List(l) => out.push_str(&render(l)),
        }
    }
    out
}

fn int_item(digits: &str) -> Item {
    Item::Int(digits.trim_start_matches('0').to_string())
}

/// `StringItem`'s constructor: one-letter shorthands before a digit, then
/// the aliases.
fn str_item(s: &str, followed_by_digit: bool) -> Item {
    let s = match (followed_by_digit, s) {
        (true, "a") => "alpha",
        (true, "b") => "beta",
        (true, "m") => "milestone",
        _ => s,
    };
    let s = match s {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    Item::Str(s.to_string())
}

fn parse_item(is_digit: bool, s: &str) -> Item {
    if is_digit {
        int_item(s)
    } else {
        str_item(s, false)
    }
}

/// `parseVersion`. The tree is built with a stack of open lists (indices
/// into a path), closing them innermost first as Maven does.
fn parse_items(input: &str) -> Vec<Item> {
    let v: Vec<char> = input.to_lowercase().chars().collect();
    // stack[0] is the root; each later entry is a list nested in the one
    // before it (always as its last item).
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let sub = |a: usize, b: usize| v[a..b].iter().collect::<String>();
    let mut is_digit = false;
    let mut start = 0;
    for (i, &c) in v.iter().enumerate() {
        if c == '.' || c == '-' {
            let item = if i == start {
                Item::Int(String::new())
            } else {
                parse_item(is_digit, &sub(start, i))
            };
            push(&mut stack, item);
            start = i + 1;
            if c == '-' {
                stack.push(Vec::new());
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                // Treat `.X1` like `-X1` (Maven 3.6+).
                if !top(&stack).is_empty() {
                    stack.push(Vec::new());
                }
                push(&mut stack, str_item(&sub(start, i), true));
                start = i;
                stack.push(Vec::new());
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                push(&mut stack, parse_item(true, &sub(start, i)));
                start = i;
                stack.push(Vec::new());
            }
            is_digit = false;
        }
    }
    if v.len() > start {
        if !is_digit && !top(&stack).is_empty() {
            stack.push(Vec::new());
        }
        push(&mut stack, parse_item(is_digit, &sub(start, v.len())));
    }
    // Close the lists innermost first, normalizing each.
    while stack.len() > 1 {
        let mut inner = stack.pop().unwrap_or_default();
        normalize(&mut inner);
        push(&mut stack, Item::List(inner));
    }
    let mut root = stack.pop().unwrap_or_default();
    normalize(&mut root);
    root
}

fn top(stack: &[Vec<Item>]) -> &[Item] {
    stack.last().map_or(&[], Vec::as_slice)
}

fn push(stack: &mut [Vec<Item>], item: Item) {
    if let Some(top) = stack.last_mut() {
        top.push(item);
    }
}

fn is_null(item: &Item) -> bool {
    match item {
        Item::Int(d) => d.is_empty(),
        Item::Str(s) => s.is_empty(),
        Item::List(l) => l.is_empty(),
    }
}

/// `ListItem.normalize`: from the end, drop null items, stepping over
/// lists and stopping at the first non-null plain item.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if is_null(&list[i]) {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// `StringItem.comparableQualifier`: the index of a known qualifier, or
/// "7-name" for any other, compared as strings.
fn qualifier_key(s: &str) -> String {
    match QUALIFIERS.iter().position(|q| *q == s) {
        Some(k) => k.to_string(),
        None => format!("{}-{s}", QUALIFIERS.len()),
    }
}

fn cmp_digits(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// `Item.compareTo`, where `None` is Maven's `null` (the padding).
fn cmp_item(a: &Item, b: Option<&Item>) -> Ordering {
    match (a, b) {
        (Item::Int(d), None) => {
            if d.is_empty() {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        (Item::Int(x), Some(Item::Int(y))) => cmp_digits(x, y),
        (Item::Int(_), Some(_)) => Ordering::Greater,
        (Item::Str(s), None) => qualifier_key(s).cmp(&RELEASE_INDEX.to_string()),
        (Item::Str(_), Some(Item::Int(_) | Item::List(_))) => Ordering::Less,
        (Item::Str(x), Some(Item::Str(y))) => qualifier_key(x).cmp(&qualifier_key(y)),
        // Every item against null, not only the first (MNG-6964, in 3.8).
        (Item::List(l), None) => l
            .iter()
            .map(|x| cmp_item(x, None))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal),
        (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
        (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
        (Item::List(x), Some(Item::List(y))) => cmp_lists(x, y),
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    for k in 0..a.len().max(b.len()) {
        let o = match (a.get(k), b.get(k)) {
            (Some(x), y) => cmp_item(x, y),
            (None, Some(y)) => cmp_item(y, None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(self, other)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `ComparableVersion.compareTo`.
pub fn compare(a: &Version, b: &Version) -> Ordering {
    cmp_lists(&a.items, &b.items)
}

/// Parses both strings and compares them.
pub fn compare_str(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(compare(&Version::parse(a)?, &Version::parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Orderings from `ComparableVersion`'s documented rules and Maven's
    /// `ComparableVersionTest` sequences (qualifier order, `-1` vs `.1`,
    /// padding, aliases).
    #[test]
    fn maven_ordering() {
        let chain = [
            "1-alpha",
            "1-alpha2",
            "1-beta",
            "1-milestone-1",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1-1",
            "1.1",
            "1.2",
            "1.10",
        ];
        for w in chain.windows(2) {
            assert_eq!(
                compare_str(w[0], w[1]).unwrap(),
                Ordering::Less,
                "{} < {}",
                w[0],
                w[1]
            );
            assert_eq!(compare_str(w[1], w[0]).unwrap(), Ordering::Greater);
        }
        let same = [
            ("1", "1.0.0"),
            ("1.0-ga", "1"),
            ("1-final", "1.0"),
            ("1-release", "1"),
            ("1-cr1", "1-rc1"),
            ("1a1", "1-alpha-1"),
            ("1b2", "1-beta-2"),
            ("1m3", "1-milestone-3"),
            ("1.0.RC1", "1-rc-1"),
            ("1-SNAPSHOT", "1-snapshot"),
            ("1.0.01", "1.0.1"),
        ];
        for (a, b) in same {
            assert_eq!(compare_str(a, b).unwrap(), Ordering::Equal, "{a} == {b}");
        }
        assert_eq!(Version::parse("1.0.RC1").unwrap().canonical(), "1-rc-1");
        assert_eq!(Version::parse("1.0.0").unwrap().canonical(), "1");
        assert!(Version::parse("").is_err());
    }

    /// `ComparableVersion` is not a total order on degenerate strings: the
    /// real Maven 3.8.7 prints `. < a`, `a < -rc`, `-rc < .`. We reproduce
    /// its answers rather than impose an order it does not have.
    #[test]
    fn cycle_like_maven() {
        assert_eq!(compare_str(".", "a").unwrap(), Ordering::Less);
        assert_eq!(compare_str("a", "-rc").unwrap(), Ordering::Less);
        assert_eq!(compare_str("-rc", ".").unwrap(), Ordering::Less);
    }
}

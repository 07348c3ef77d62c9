//! [`LabelMap`]: a workload's, namespace's or Service selector's labels, as a map of string
//! keys to string values in key order.
//!
//! A sorted vector instead of a `BTreeMap`: the model keeps one per workload, Service and
//! namespace (tens of thousands in a large inventory), most hold two to five labels, and a
//! `BTreeMap` allocates a node of eleven slots (about 540 bytes) for even one. Lookups are a
//! binary search over a few entries; the reading API is the map's.

use std::collections::BTreeMap;

use palisade_core::yaml::Text;

/// Labels in key order, each key once. Keys and values are kept inline when short (most
/// are): a large inventory holds hundreds of thousands of them, and one allocation each was
/// a good part of reading the workloads and of freeing the model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelMap {
    entries: Vec<(Text, Text)>,
}

impl LabelMap {
    /// No labels.
    pub fn new() -> LabelMap {
        LabelMap::default()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key` to `value`, replacing its value if it was set; returns the old value.
    pub fn insert(&mut self, key: impl Into<Text>, value: impl Into<Text>) -> Option<Text> {
        let (key, value) = (key.into(), value.into());
        match self.entries.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => self
                .entries
                .get_mut(i)
                .map(|(_, v)| std::mem::replace(v, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// The pairs in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &str)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many labels.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The same labels as a `BTreeMap` (for outputs that keep one).
    pub fn to_btree_map(&self) -> BTreeMap<String, String> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

/// Collects pairs as a `BTreeMap` would: in key order, the last value of a repeated key.
impl<K: Into<Text>, V: Into<Text>> FromIterator<(K, V)> for LabelMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> LabelMap {
        let mut entries: Vec<(Text, Text)> = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        // Stable: of equal keys the last given stays last. `dedup_by` keeps the first of a
        // run, so each later pair hands its value to the kept one before going.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            same
        });
        LabelMap { entries }
    }
}

impl<K: Into<Text>, V: Into<Text>, const N: usize> From<[(K, V); N]> for LabelMap {
    fn from(pairs: [(K, V); N]) -> LabelMap {
        pairs.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a LabelMap {
    type Item = (&'a str, &'a str);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Text, Text)>,
        fn(&'a (Text, Text)) -> (&'a str, &'a str),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Built from the same pairs, a `LabelMap` reads as the `BTreeMap` does: order, the last
    /// of a repeated key, lookups of present and absent keys, length.
    #[test]
    fn reads_as_a_btree_map_of_the_same_pairs() {
        let cases: &[&[(&str, &str)]] = &[
            &[],
            &[("app", "web")],
            &[("tier", "front"), ("app", "web"), ("app", "api"), ("b", "")],
            &[
                ("z", "1"),
                ("y", "2"),
                ("x", "3"),
                ("z", "4"),
                ("x", "5"),
                ("w", "6"),
            ],
        ];
        for case in cases {
            let map: BTreeMap<String, String> = pairs(case).into_iter().collect();
            let labels: LabelMap = pairs(case).into_iter().collect();
            assert_eq!(
                labels.iter().collect::<Vec<_>>(),
                map.iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
                "{case:?}"
            );
            assert_eq!(labels.len(), map.len());
            assert_eq!(labels.is_empty(), map.is_empty());
            for key in ["app", "tier", "b", "x", "z", "w", "missing", ""] {
                assert_eq!(
                    labels.get(key),
                    map.get(key).map(String::as_str),
                    "{case:?} {key}"
                );
            }
            assert_eq!(labels.to_btree_map(), map);
        }
    }

    #[test]
    fn insert_replaces_or_adds_in_order() {
        let mut labels: LabelMap = pairs(&[("b", "1"), ("d", "2")]).into_iter().collect();
        assert_eq!(labels.insert("c", "3"), None);
        assert_eq!(labels.insert("b", "4"), Some("1".into()));
        assert_eq!(labels.insert("a", "5"), None);
        let got: Vec<(&str, &str)> = labels.iter().collect();
        assert_eq!(got, [("a", "5"), ("b", "4"), ("c", "3"), ("d", "2")]);
        assert_eq!(labels.len(), 4);
    }
}

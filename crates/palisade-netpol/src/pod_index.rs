//! Workloads by namespace and by label, so that a selector is tried only on the workloads
//! that can match it. Policies and Services both grow with the input, and so does each
//! namespace; trying every selector on every workload of its namespace grew with the
//! square of the input.

use foldhash::HashMap;
use palisade_core::selector::{LabelSelector, Operator};

use crate::endpoints::Pods;
use crate::label_map::LabelMap;

/// Workload positions (ascending) by namespace, and by namespace, label key and value.
#[derive(Debug, Default)]
pub(crate) struct PodIndex<'a> {
    by_ns: HashMap<&'a str, Namespace<'a>>,
}

/// One namespace's workloads: all, and by label key and value.
#[derive(Debug, Default)]
struct Namespace<'a> {
    all: Vec<usize>,
    by_label: HashMap<&'a str, HashMap<&'a str, Positions>>,
}

/// The positions of the workloads with one label value: most values (`app: web-1`) are one
/// workload's, held without an allocation of their own.
#[derive(Debug)]
enum Positions {
    One(usize),
    Many(Vec<usize>),
}

impl Positions {
    fn push(&mut self, i: usize) {
        match self {
            Positions::One(first) => *self = Positions::Many(vec![*first, i]),
            Positions::Many(all) => all.push(i),
        }
    }

    fn as_slice(&self) -> &[usize] {
        match self {
            Positions::One(i) => std::slice::from_ref(i),
            Positions::Many(all) => all,
        }
    }
}

impl<'a> PodIndex<'a> {
    /// Indexes `(position, workload)` pairs given in ascending position order.
    pub fn new(pods: impl Iterator<Item = (usize, &'a Pods)>) -> PodIndex<'a> {
        let mut index = PodIndex::default();
        for (i, p) in pods {
            let ns = index.by_ns.entry(p.namespace.as_str()).or_default();
            ns.all.push(i);
            for (k, v) in &p.labels {
                ns.by_label
                    .entry(k)
                    .or_default()
                    .entry(v)
                    .and_modify(|at| at.push(i))
                    .or_insert(Positions::One(i));
            }
        }
        index
    }

    /// Every workload of `namespace`, ascending.
    pub fn in_namespace(&self, namespace: &str) -> &[usize] {
        self.by_ns
            .get(namespace)
            .map_or(&[], |ns| ns.all.as_slice())
    }

    fn with_label(&self, namespace: &str, key: &str, value: &str) -> &[usize] {
        self.by_ns
            .get(namespace)
            .and_then(|ns| ns.by_label.get(key))
            .and_then(|values| values.get(value))
            .map_or(&[], Positions::as_slice)
    }

    /// The workloads of `namespace` that `selector` may match, ascending: a superset of
    /// those it matches (the caller still applies the selector). A requirement `key In
    /// (values)` narrows the candidates to the workloads with one of those labels; the
    /// narrowest such requirement is used. Without one, the whole namespace.
    pub fn candidates(&self, namespace: &str, selector: &LabelSelector) -> Vec<usize> {
        let narrowest = selector
            .requirements
            .iter()
            .filter(|r| r.operator == Operator::In)
            .map(|r| {
                let lists: Vec<&[usize]> = r
                    .values
                    .iter()
                    .map(|v| self.with_label(namespace, &r.key, v))
                    .collect();
                (lists.iter().map(|l| l.len()).sum::<usize>(), lists)
            })
            .min_by_key(|(size, _)| *size);
        match narrowest {
            Some((_, lists)) if lists.len() == 1 => lists[0].to_vec(),
            Some((_, lists)) => {
                let mut all: Vec<usize> = lists.concat();
                all.sort_unstable();
                all.dedup();
                all
            }
            None => self.in_namespace(namespace).to_vec(),
        }
    }

    /// The workloads of `namespace` whose labels include every pair of `labels` (a
    /// Service's selector), as a superset: the caller still checks each candidate.
    pub fn candidates_with_all(&self, namespace: &str, labels: &LabelMap) -> &[usize] {
        labels
            .iter()
            .map(|(k, v)| self.with_label(namespace, k, v))
            .min_by_key(|l| l.len())
            .unwrap_or_else(|| self.in_namespace(namespace))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use palisade_core::selector::Requirement;
    use palisade_core::{Location, ObjectRef};

    fn pods(namespace: &str, name: &str, labels: &[(&str, &str)]) -> Pods {
        Pods {
            object: Arc::new(ObjectRef {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                namespace: Some(namespace.into()),
                name: name.into(),
            }),
            namespace: namespace.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ports: Vec::new(),
            location: Location {
                path: "test.yaml".into(),
                line: 1,
                col: 1,
            },
            service_account: "default".into(),
            own_data_class: None,
        }
    }

    fn req(key: &str, operator: Operator, values: &[&str]) -> Requirement {
        Requirement {
            key: key.into(),
            operator,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    /// Candidates filtered by the selector equal the brute-force scan of the namespace,
    /// for every kind of requirement.
    #[test]
    fn candidates_then_selector_equal_a_scan_of_the_namespace() {
        let all = [
            pods("a", "web", &[("app", "web"), ("tier", "front")]),
            pods("a", "api", &[("app", "api"), ("tier", "back")]),
            pods("a", "db", &[("app", "db"), ("tier", "back")]),
            pods("a", "bare", &[]),
            pods("b", "web", &[("app", "web"), ("tier", "front")]),
        ];
        let index = PodIndex::new(all.iter().enumerate());
        let selectors = [
            vec![],
            vec![req("app", Operator::In, &["web"])],
            vec![req("app", Operator::In, &["web", "db", "none"])],
            vec![
                req("tier", Operator::In, &["back"]),
                req("app", Operator::NotIn, &["db"]),
            ],
            vec![req("app", Operator::Exists, &[])],
            vec![req("app", Operator::DoesNotExist, &[])],
            vec![req("app", Operator::In, &["missing"])],
        ];
        for requirements in selectors {
            let sel = LabelSelector { requirements };
            for ns in ["a", "b", "c"] {
                let brute: Vec<usize> = (0..all.len())
                    .filter(|&i| all[i].namespace == ns && sel.matches(|k| all[i].labels.get(k)))
                    .collect();
                let indexed: Vec<usize> = index
                    .candidates(ns, &sel)
                    .into_iter()
                    .filter(|&i| sel.matches(|k| all[i].labels.get(k)))
                    .collect();
                assert_eq!(indexed, brute, "{sel:?} in {ns}");
            }
        }
        let service = LabelMap::from([("tier".to_string(), "back".to_string())]);
        assert_eq!(index.candidates_with_all("a", &service), [1, 2]);
        assert_eq!(
            index.candidates_with_all("a", &LabelMap::new()),
            [0, 1, 2, 3]
        );
    }
}

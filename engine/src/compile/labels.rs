//! Label selectors matched through an index from labels to the objects that carry them, so that a
//! selector only looks at candidates that have one of the labels it requires, instead of at every
//! namespace or label set of a cluster with thousands of them.

use std::collections::HashMap;

use super::bitset::BitSet;
use crate::model::labels::{LabelSelector, Labels, Operator};

pub struct LabelIndex<'c> {
    items: Vec<&'c Labels>,
    by_pair: HashMap<(&'c str, &'c str), Vec<usize>>,
    by_key: HashMap<&'c str, Vec<usize>>,
}

impl<'c> LabelIndex<'c> {
    pub fn new(items: Vec<&'c Labels>) -> Self {
        let mut by_pair: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, labels) in items.iter().enumerate() {
            for (k, v) in labels.iter() {
                by_pair.entry((k.as_str(), v.as_str())).or_default().push(i);
                by_key.entry(k.as_str()).or_default().push(i);
            }
        }
        LabelIndex { items, by_pair, by_key }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items the selector matches.
    pub fn matching(&self, selector: &LabelSelector) -> BitSet {
        let mut set = BitSet::new(self.items.len());
        let mut check = |i: usize| {
            if selector.matches(self.items[i]) {
                set.insert(i);
            }
        };
        match self.candidates(selector) {
            Some(candidates) => candidates.into_iter().for_each(&mut check),
            None => (0..self.items.len()).for_each(&mut check),
        }
        set
    }

    /// The smallest candidate list that a positive requirement of the selector gives (`None`: the
    /// selector has none, so every item is a candidate).
    fn candidates(&self, selector: &LabelSelector) -> Option<Vec<usize>> {
        let empty = Vec::new();
        let pairs = selector
            .match_labels
            .iter()
            .map(|(k, v)| self.by_pair.get(&(k.as_str(), v.as_str())).unwrap_or(&empty).clone());
        let expressions = selector.match_expressions.iter().filter_map(|r| match r.operator {
            Operator::In => Some(
                r.values
                    .iter()
                    .flat_map(|v| self.by_pair.get(&(r.key.as_str(), v.as_str())).unwrap_or(&empty).iter().copied())
                    .collect(),
            ),
            Operator::Exists => Some(self.by_key.get(r.key.as_str()).unwrap_or(&empty).clone()),
            Operator::NotIn | Operator::DoesNotExist => None,
        });
        pairs.chain(expressions).min_by_key(Vec::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::labels::Requirement;

    #[test]
    fn index_agrees_with_scanning() {
        let labels: Vec<Labels> = (0..40)
            .map(|i| {
                let mut l = Labels::new();
                l.insert("app".into(), format!("a{}", i % 5));
                if i % 3 == 0 {
                    l.insert("tier".into(), format!("t{}", i % 2));
                }
                l
            })
            .collect();
        let index = LabelIndex::new(labels.iter().collect());
        let requirement = |key: &str, operator, values: &[&str]| Requirement {
            key: key.into(),
            operator,
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        let selectors = [
            LabelSelector::default(),
            LabelSelector { match_labels: [("app".to_string(), "a1".to_string())].into(), match_expressions: vec![] },
            LabelSelector { match_labels: [("app".to_string(), "zz".to_string())].into(), match_expressions: vec![] },
            LabelSelector {
                match_labels: Labels::new(),
                match_expressions: vec![requirement("tier", Operator::Exists, &[])],
            },
            LabelSelector {
                match_labels: Labels::new(),
                match_expressions: vec![
                    requirement("app", Operator::In, &["a1", "a2"]),
                    requirement("tier", Operator::NotIn, &["t0"]),
                ],
            },
            LabelSelector {
                match_labels: Labels::new(),
                match_expressions: vec![requirement("tier", Operator::DoesNotExist, &[])],
            },
        ];
        for selector in &selectors {
            let fast = index.matching(selector);
            for (i, l) in labels.iter().enumerate() {
                assert_eq!(fast.contains(i), selector.matches(l), "{selector:?} on {l:?}");
            }
        }
    }
}

//! Labels and label selectors (metav1.LabelSelector semantics).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub type Labels = BTreeMap<String, String>;

/// The label every namespace carries from Kubernetes 1.21 on, so policies can select namespaces by
/// name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl TryFrom<&str> for Operator {
    type Error = String;
    fn try_from(s: &str) -> Result<Self, String> {
        match s {
            "In" => Ok(Operator::In),
            "NotIn" => Ok(Operator::NotIn),
            "Exists" => Ok(Operator::Exists),
            "DoesNotExist" => Ok(Operator::DoesNotExist),
            other => Err(format!(
                "`{other}` is not a valid selector operator; use `In`, `NotIn`, `Exists` or `DoesNotExist`"
            )),
        }
    }
}

impl Operator {
    /// In and NotIn need values; Exists and DoesNotExist must have none.
    pub fn needs_values(self) -> bool {
        matches!(self, Operator::In | Operator::NotIn)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: BTreeSet<String>,
}

impl Requirement {
    pub fn matches(&self, labels: &Labels) -> bool {
        match self.operator {
            Operator::In => labels.get(&self.key).is_some_and(|v| self.values.contains(v)),
            // NotIn also matches objects that lack the key, as in Kubernetes.
            Operator::NotIn => labels.get(&self.key).is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => labels.contains_key(&self.key),
            Operator::DoesNotExist => !labels.contains_key(&self.key),
        }
    }
}

/// A validated selector. `matchLabels` and `matchExpressions` are ANDed; the empty selector matches
/// everything. Equal selectors compare equal (sorted maps and sets), so they can key shared state.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LabelSelector {
    #[serde(rename = "matchLabels")]
    pub match_labels: Labels,
    #[serde(rename = "matchExpressions")]
    pub match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }

    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// kubectl-style text: `app=db,tier in (a,b),!legacy`; the empty selector is `{}`.
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "{}".into();
        }
        let labels = self.match_labels.iter().map(|(k, v)| format!("{k}={v}"));
        let exprs = self.match_expressions.iter().map(|r| {
            let values = r.values.iter().cloned().collect::<Vec<_>>().join(",");
            match r.operator {
                Operator::In => format!("{} in ({values})", r.key),
                Operator::NotIn => format!("{} notin ({values})", r.key),
                Operator::Exists => r.key.clone(),
                Operator::DoesNotExist => format!("!{}", r.key),
            }
        });
        labels.chain(exprs).collect::<Vec<_>>().join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn semantics() {
        let sel = LabelSelector {
            match_labels: labels(&[("app", "db")]),
            match_expressions: vec![Requirement {
                key: "tier".into(),
                operator: Operator::NotIn,
                values: ["a".to_string()].into(),
            }],
        };
        assert!(sel.matches(&labels(&[("app", "db")])));
        assert!(sel.matches(&labels(&[("app", "db"), ("tier", "b")])));
        assert!(!sel.matches(&labels(&[("app", "db"), ("tier", "a")])));
        assert!(!sel.matches(&labels(&[("app", "web")])));
        assert!(LabelSelector::default().matches(&labels(&[])));
        assert_eq!(sel.describe(), "app=db,tier notin (a)");
        assert!(Operator::try_from("in").is_err());
    }
}

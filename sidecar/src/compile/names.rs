//! Names of nft objects. They must be stable across syncs and agent restarts (the diff relies on
//! names), readable where the Kubernetes names allow it, and within nft's 255-byte limit.

use moat_engine::model::policy::Direction;

use crate::nft::Family;

/// Longest name used; nft allows 255 bytes, the margin keeps room for family suffixes.
const MAX_NAME: usize = 200;

/// FNV-1a, 64 bits: tiny and stable across Rust releases and platforms (std's hasher is not
/// guaranteed to be), which names that outlive a process need.
pub fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// 12 hex digits (48 bits) of the hash: collisions are negligible at a node's few thousand objects.
pub fn short_hash(text: &str) -> String {
    format!("{:012x}", stable_hash(text) >> 16)
}

/// Keeps readable names readable and shortens the rare overlong one with a hash of the full name.
fn bounded(name: String) -> String {
    if name.len() <= MAX_NAME {
        return name;
    }
    let cut = (0..=MAX_NAME - 14).rev().find(|&i| name.is_char_boundary(i)).unwrap_or(0);
    format!("{}~{}", &name[..cut], short_hash(&name))
}

pub fn base_chain(direction: Direction) -> String {
    direction.as_str().to_string()
}

pub fn deny_chain(direction: Direction) -> String {
    format!("{}-deny", direction.as_str())
}

/// `ingress/<namespace>/<policy>`.
pub fn policy_chain(direction: Direction, policy_id: &str) -> String {
    bounded(format!("{}/{policy_id}", direction.as_str()))
}

/// `ingress-group-<hash of the policy list>`.
pub fn group_chain(direction: Direction, policy_ids: &[String]) -> String {
    format!("{}-group-{}", direction.as_str(), short_hash(&policy_ids.join(",")))
}

/// `ingress-pods-v4`: pod address to group chain.
pub fn dispatch_map(direction: Direction, family: Family) -> String {
    format!("{}-pods-{}", direction.as_str(), family.suffix())
}

/// `ingress-denied-v4`: pod address to denied-packets counter.
pub fn counter_map(direction: Direction, family: Family) -> String {
    format!("{}-denied-{}", direction.as_str(), family.suffix())
}

/// `denied-ingress/<namespace>/<pod>`.
pub fn denied_counter(direction: Direction, pod_id: &str) -> String {
    bounded(format!("denied-{}/{pod_id}", direction.as_str()))
}

/// `peer-<hash of the canonical selector>-v4`.
pub fn peer_set(canonical: &str, family: Family) -> String {
    format!("peer-{}-{}", short_hash(canonical), family.suffix())
}

/// `block-<hash of the CIDR and exceptions>-v4`.
pub fn block_set(canonical: &str, family: Family) -> String {
    format!("block-{}-{}", short_hash(canonical), family.suffix())
}

/// `port-tcp-http-local-v4`: addresses of pods declaring the named port, with its number.
pub fn named_port_set(protocol: &str, name: &str, scope: &str, family: Family) -> String {
    bounded(format!("port-{}-{name}-{scope}-{}", protocol.to_ascii_lowercase(), family.suffix()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_bounded() {
        assert_eq!(short_hash("default/web"), short_hash("default/web"));
        assert_ne!(short_hash("default/web"), short_hash("default/db"));
        // Pinned: a change here renames every object and forces a full reload on upgrade.
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        let long = format!("ns/{}", "a".repeat(300));
        let name = policy_chain(Direction::Ingress, &long);
        assert!(name.len() <= MAX_NAME);
        assert_ne!(name, policy_chain(Direction::Ingress, &format!("{long}b")));
        assert_eq!(policy_chain(Direction::Egress, "default/web"), "egress/default/web");
    }
}

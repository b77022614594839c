//! IP blocks: a CIDR minus `except` CIDRs, IPv4 or IPv6.

use std::net::IpAddr;

use ipnet::IpNet;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpBlock {
    /// Masked: `10.0.1.1/24` is stored as `10.0.1.0/24`.
    pub cidr: IpNet,
    /// Each a strict subset of `cidr` (validated when parsed).
    pub except: Vec<IpNet>,
}

impl IpBlock {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.cidr.contains(&ip) && !self.except.iter().any(|e| e.contains(&ip))
    }

    /// The `except` entry that removes `ip`, if any (for explanations).
    pub fn excluded_by(&self, ip: IpAddr) -> Option<&IpNet> {
        self.except.iter().find(|e| e.contains(&ip))
    }

    /// `10.0.0.0/16 except 10.0.1.0/24, 10.0.2.0/24`.
    pub fn describe(&self) -> String {
        if self.except.is_empty() {
            self.cidr.to_string()
        } else {
            let except: Vec<String> = self.except.iter().map(ToString::to_string).collect();
            format!("{} except {}", self.cidr, except.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn except_carves_holes() {
        let b = IpBlock { cidr: "172.17.0.0/16".parse().unwrap(), except: vec!["172.17.1.0/24".parse().unwrap()] };
        assert!(b.contains("172.17.0.255".parse().unwrap()));
        assert!(!b.contains("172.17.1.0".parse().unwrap()));
        assert!(b.contains("172.17.2.0".parse().unwrap()));
        assert!(!b.contains("::1".parse().unwrap()));
        assert_eq!(b.describe(), "172.17.0.0/16 except 172.17.1.0/24");
    }
}

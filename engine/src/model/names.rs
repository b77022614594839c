//! Kubernetes name and label syntax (apimachinery's validation), shared by every object kind.

const DNS1123_LABEL_MAX: usize = 63;
const DNS1123_SUBDOMAIN_MAX: usize = 253;
const QUALIFIED_NAME_MAX: usize = 63;
const LABEL_VALUE_MAX: usize = 63;
const PORT_NAME_MAX: usize = 15;

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters (namespace names).
pub fn dns1123_label(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > DNS1123_LABEL_MAX {
        return Err(format!("must be 1 to {DNS1123_LABEL_MAX} characters"));
    }
    let ok_inner = s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ok_ends = !s.starts_with('-') && !s.ends_with('-');
    if ok_inner && ok_ends {
        Ok(())
    } else {
        Err("must consist of lower case alphanumeric characters or `-`, and start and end with an alphanumeric character".into())
    }
}

/// Dot-separated DNS labels, at most 253 characters (most object names).
pub fn dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > DNS1123_SUBDOMAIN_MAX {
        return Err(format!("must be 1 to {DNS1123_SUBDOMAIN_MAX} characters"));
    }
    if s.split('.').all(|part| dns1123_label(part).is_ok()) {
        Ok(())
    } else {
        Err("must consist of lower case alphanumeric characters, `-` or `.`, and start and end with an alphanumeric character".into())
    }
}

fn is_name_part(s: &str, max: usize) -> bool {
    let bytes = s.as_bytes();
    !s.is_empty()
        && s.len() <= max
        && bytes.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// A label key: `[prefix/]name`, prefix a DNS subdomain, name at most 63 characters.
pub fn label_key(s: &str) -> Result<(), String> {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    if let Some(prefix) = prefix {
        dns1123_subdomain(prefix).map_err(|e| format!("prefix {e}"))?;
    }
    if is_name_part(name, QUALIFIED_NAME_MAX) {
        Ok(())
    } else {
        Err(format!(
            "name part must be 1 to {QUALIFIED_NAME_MAX} alphanumeric characters, `-`, `_` or `.`, starting and ending with an alphanumeric character"
        ))
    }
}

/// A label value: empty, or like a key's name part.
pub fn label_value(s: &str) -> Result<(), String> {
    if s.is_empty() || is_name_part(s, LABEL_VALUE_MAX) {
        Ok(())
    } else {
        Err(format!(
            "must be empty or 1 to {LABEL_VALUE_MAX} alphanumeric characters, `-`, `_` or `.`, starting and ending with an alphanumeric character"
        ))
    }
}

/// An IANA service name as used for named ports: at most 15 of `[a-z0-9-]`, at least one letter, no
/// `-` at either end and no `--`.
pub fn port_name(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > PORT_NAME_MAX {
        return Err(format!("a port name must be 1 to {PORT_NAME_MAX} characters"));
    }
    if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err("a port name may only contain lower case letters, digits and `-`".into());
    }
    if !s.bytes().any(|b| b.is_ascii_lowercase()) {
        return Err("a port name must contain at least one letter".into());
    }
    if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
        return Err("a port name may not begin or end with `-` or contain `--`".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(dns1123_label("kube-system").is_ok());
        assert!(dns1123_label("Kube").is_err());
        assert!(label_key("app.kubernetes.io/name").is_ok());
        assert!(label_key("-x").is_err());
        assert!(label_value("").is_ok());
        assert!(label_value("v1.2_3").is_ok());
        assert!(label_value("a b").is_err());
        assert!(port_name("http").is_ok());
        assert!(port_name("80").is_err());
        assert!(port_name("a--b").is_err());
        assert!(port_name("serve-80-sctp-x").is_ok());
        assert!(port_name("serve-80-sctp-xy").is_err());
    }
}

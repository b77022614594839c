//! The few header fields the denied-flow log needs from a copied packet (IPv4 or IPv6 header, then
//! the transport ports).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use moat_engine::model::ports::Protocol;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    pub source: IpAddr,
    pub destination: IpAddr,
    /// The IP protocol number (6 TCP, 17 UDP, 132 SCTP, 1 ICMP, …).
    pub protocol_number: u8,
    /// Destination port, for TCP, UDP and SCTP.
    pub port: Option<u16>,
}

impl Header {
    /// The NetworkPolicy protocol, if the packet has one.
    pub fn protocol(&self) -> Option<Protocol> {
        match self.protocol_number {
            6 => Some(Protocol::Tcp),
            17 => Some(Protocol::Udp),
            132 => Some(Protocol::Sctp),
            _ => None,
        }
    }
}

/// Parses the start of an IP packet; `None` when it is too short or not IP. IPv6 extension headers
/// are not walked: such packets are reported with their next-header number and no port.
pub fn parse(packet: &[u8]) -> Option<Header> {
    let version = packet.first()? >> 4;
    let (source, destination, protocol_number, transport) = match version {
        4 => {
            let header_len = usize::from(packet.first()? & 0x0f) * 4;
            let source: [u8; 4] = packet.get(12..16)?.try_into().ok()?;
            let destination: [u8; 4] = packet.get(16..20)?.try_into().ok()?;
            (
                IpAddr::V4(Ipv4Addr::from(source)),
                IpAddr::V4(Ipv4Addr::from(destination)),
                *packet.get(9)?,
                packet.get(header_len..),
            )
        }
        6 => {
            let source: [u8; 16] = packet.get(8..24)?.try_into().ok()?;
            let destination: [u8; 16] = packet.get(24..40)?.try_into().ok()?;
            (
                IpAddr::V6(Ipv6Addr::from(source)),
                IpAddr::V6(Ipv6Addr::from(destination)),
                *packet.get(6)?,
                packet.get(40..),
            )
        }
        _ => return None,
    };
    let port = match protocol_number {
        6 | 17 | 132 => transport.and_then(|t| Some(u16::from_be_bytes([*t.get(2)?, *t.get(3)?]))),
        _ => None,
    };
    Some(Header { source, destination, protocol_number, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ipv4_tcp_and_ipv6_udp() {
        let mut v4 = vec![0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        v4.extend([0x9c, 0x40, 0x00, 0x50]);
        let h = parse(&v4).unwrap();
        assert_eq!(
            (h.source.to_string(), h.destination.to_string(), h.port, h.protocol()),
            ("10.0.0.1".into(), "10.0.0.2".into(), Some(80), Some(Protocol::Tcp))
        );
        let mut v6 = vec![0x60, 0, 0, 0, 0, 8, 17, 64];
        v6.extend(std::iter::repeat_n(0u8, 15).chain([1]));
        v6.extend(std::iter::repeat_n(0u8, 15).chain([2]));
        v6.extend([0x30, 0x39, 0x00, 0x35]);
        let h = parse(&v6).unwrap();
        assert_eq!((h.source.to_string(), h.port, h.protocol()), ("::1".into(), Some(53), Some(Protocol::Udp)));
        assert_eq!(parse(&[0x45, 0]), None);
    }
}

//! A netlink listener for one NFLOG group: the kernel copies the first bytes of each packet that
//! the deny chains' `log group N` rule samples.

use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_netfilter::nflog::{ConfigCmd, ConfigMode, PacketNla, ULogMessage, config_request};
use netlink_packet_netfilter::{NetfilterMessage, NetfilterMessageInner, NetfilterProtoFamily};
use netlink_sys::{Socket, constants::NETLINK_NETFILTER};

/// Bytes copied per packet: an IPv6 header and the transport ports fit with room to spare.
const COPY_RANGE: u32 = 96;

/// A logged packet: the rule's prefix and the packet's first bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub prefix: String,
    pub payload: Vec<u8>,
}

pub struct Listener {
    socket: Socket,
}

impl Listener {
    /// Binds the group; fails where the kernel has no NFLOG (or another listener holds the group).
    pub fn bind(group: u16) -> Result<Listener, String> {
        let mut socket = Socket::new(NETLINK_NETFILTER).map_err(|e| format!("netlink socket: {e}"))?;
        socket.bind_auto().map_err(|e| format!("netlink bind: {e}"))?;
        let listener = Listener { socket };
        listener.configure(group, vec![ConfigCmd::Bind.into(), ConfigMode::new_packet(COPY_RANGE).into()])?;
        Ok(listener)
    }

    fn configure(&self, group: u16, nlas: Vec<netlink_packet_netfilter::nflog::ConfigNla>) -> Result<(), String> {
        let request = config_request(NetfilterProtoFamily::Unspec, group, nlas);
        let mut buffer = vec![0; request.buffer_len()];
        request.serialize(&mut buffer);
        self.socket.send(&buffer, 0).map_err(|e| format!("nflog config: {e}"))?;
        let (reply, _) = self.socket.recv_from_full().map_err(|e| format!("nflog config reply: {e}"))?;
        match NetlinkMessage::<NetfilterMessage>::deserialize(&reply) {
            Ok(NetlinkMessage { payload: NetlinkPayload::Error(e), .. }) if e.code.is_some() => {
                Err(format!("nflog group {group}: {}", e.to_io()))
            }
            Ok(_) => Ok(()),
            Err(e) => Err(format!("nflog config reply: {e}")),
        }
    }

    /// Blocks for the next batch of logged packets.
    pub fn receive(&self) -> Result<Vec<Logged>, String> {
        let (bytes, _) = self.socket.recv_from_full().map_err(|e| format!("nflog receive: {e}"))?;
        let mut logged = Vec::new();
        let mut offset = 0;
        while offset < bytes.len() {
            let Ok(message) = NetlinkMessage::<NetfilterMessage>::deserialize(&bytes[offset..]) else {
                break;
            };
            let length = message.header.length as usize;
            if let NetlinkPayload::InnerMessage(NetfilterMessage {
                inner: NetfilterMessageInner::ULog(ULogMessage::Packet(nlas)),
                ..
            }) = message.payload
            {
                let mut packet = Logged { prefix: String::new(), payload: Vec::new() };
                for nla in nlas {
                    match nla {
                        PacketNla::Prefix(prefix) => packet.prefix = prefix.to_string_lossy().into_owned(),
                        PacketNla::Payload(payload) => packet.payload = payload,
                        _ => {}
                    }
                }
                logged.push(packet);
            }
            if length == 0 {
                break;
            }
            offset += length.next_multiple_of(4);
        }
        Ok(logged)
    }
}

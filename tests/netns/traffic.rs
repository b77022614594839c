//! Real traffic: TCP and UDP servers in each pod namespace that answer with the pod's id, and probes
//! with bounded timeouts. A probe counts as allowed only when the expected pod answered.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use moat_engine::model::ports::Protocol;
use socket2::{Domain, Socket, Type};

use super::netns::enter_and_run;

/// How long a probe waits for a connection or an answer. Allowed probes answer in about a
/// millisecond; a denied one (dropped) always waits this long.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(400);
/// How often server threads look at their stop flag.
const POLL: Duration = Duration::from_millis(100);
/// Probes in flight at once.
const PARALLEL: usize = 96;

/// Servers of one pod; stopped and joined on drop (their sockets keep the namespace alive).
pub struct Servers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Servers {
    /// Listens on every `(protocol, port)` on all addresses of namespace `ns`, IPv4 and IPv6.
    pub fn start(ns: &str, answer: &str, ports: &[(Protocol, u16)]) -> Result<Servers, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for &(protocol, port) in ports {
            let (stop, answer) = (stop.clone(), answer.to_string());
            let handle = match protocol {
                Protocol::Tcp => {
                    let listener = enter_and_run(ns, || tcp_listener(port))??;
                    std::thread::spawn(move || serve_tcp(&listener, &answer, &stop))
                }
                Protocol::Udp => {
                    let socket = enter_and_run(ns, || udp_socket(port))??;
                    std::thread::spawn(move || serve_udp(&socket, &answer, &stop))
                }
                Protocol::Sctp => return Err("SCTP is not available in this kernel".into()),
            };
            threads.push(handle);
        }
        Ok(Servers { stop, threads })
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// `[::]:port`, dual-stack, with a receive timeout so that `accept` returns now and then.
fn tcp_listener(port: u16) -> Result<TcpListener, String> {
    let socket = Socket::new(Domain::IPV6, Type::STREAM, None).map_err(|e| e.to_string())?;
    socket.set_only_v6(false).map_err(|e| e.to_string())?;
    socket.set_reuse_address(true).map_err(|e| e.to_string())?;
    socket.set_read_timeout(Some(POLL)).map_err(|e| e.to_string())?;
    socket.bind(&SocketAddr::from(([0u16; 8], port)).into()).map_err(|e| format!("bind tcp {port}: {e}"))?;
    socket.listen(128).map_err(|e| e.to_string())?;
    Ok(socket.into())
}

fn udp_socket(port: u16) -> Result<UdpSocket, String> {
    let socket = Socket::new(Domain::IPV6, Type::DGRAM, None).map_err(|e| e.to_string())?;
    socket.set_only_v6(false).map_err(|e| e.to_string())?;
    socket.set_read_timeout(Some(POLL)).map_err(|e| e.to_string())?;
    socket.bind(&SocketAddr::from(([0u16; 8], port)).into()).map_err(|e| format!("bind udp {port}: {e}"))?;
    Ok(socket.into())
}

fn serve_tcp(listener: &TcpListener, answer: &str, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        if let Ok((mut stream, _)) = listener.accept() {
            let _ = stream.write_all(answer.as_bytes());
        }
    }
}

fn serve_udp(socket: &UdpSocket, answer: &str, stop: &AtomicBool) {
    let mut buffer = [0u8; 64];
    while !stop.load(Ordering::Relaxed) {
        if let Ok((_, from)) = socket.recv_from(&mut buffer) {
            let _ = socket.send_to(answer.as_bytes(), from);
        }
    }
}

/// One probe: from a namespace to an address, expecting a given answer.
#[derive(Clone, Debug)]
pub struct Probe {
    pub from_ns: String,
    pub to: IpAddr,
    pub protocol: Protocol,
    pub port: u16,
    pub expect: String,
}

/// Whether the probe got its expected answer within [`PROBE_TIMEOUT`].
pub fn probe(p: &Probe) -> bool {
    probe_within(p, PROBE_TIMEOUT)
}

/// Whether the probe got its expected answer within `timeout`.
pub fn probe_within(p: &Probe, timeout: Duration) -> bool {
    enter_and_run(&p.from_ns, || exchange(p.to, p.protocol, p.port, timeout))
        .ok()
        .flatten()
        .is_some_and(|answer| answer == p.expect)
}

fn exchange(to: IpAddr, protocol: Protocol, port: u16, timeout: Duration) -> Option<String> {
    let address: SocketAddr = (to, port).into();
    let domain = if to.is_ipv4() { Domain::IPV4 } else { Domain::IPV6 };
    let mut buffer = [0u8; 256];
    match protocol {
        Protocol::Tcp => {
            let socket = Socket::new(domain, Type::STREAM, None).ok()?;
            socket.connect_timeout(&address.into(), timeout).ok()?;
            let mut stream: std::net::TcpStream = socket.into();
            stream.set_read_timeout(Some(timeout)).ok()?;
            let mut answer = Vec::new();
            loop {
                match stream.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => answer.extend_from_slice(&buffer[..n]),
                    Err(_) => return None,
                }
            }
            String::from_utf8(answer).ok()
        }
        Protocol::Udp => {
            let socket = Socket::new(domain, Type::DGRAM, None).ok()?;
            socket.connect(&address.into()).ok()?;
            let socket: UdpSocket = socket.into();
            socket.set_read_timeout(Some(timeout)).ok()?;
            socket.send(b"probe").ok()?;
            let n = socket.recv(&mut buffer).ok()?;
            String::from_utf8(buffer[..n].to_vec()).ok()
        }
        Protocol::Sctp => None,
    }
}

/// Runs probes concurrently (bounded), returning outcomes in order.
pub fn probe_all(probes: &[Probe]) -> Vec<bool> {
    let mut outcomes = Vec::with_capacity(probes.len());
    for batch in probes.chunks(PARALLEL) {
        let results: Vec<bool> = std::thread::scope(|scope| {
            let handles: Vec<_> = batch.iter().map(|p| scope.spawn(move || probe(p))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or(false)).collect()
        });
        outcomes.extend(results);
    }
    outcomes
}

//! Sockets with deadlines: connecting with a timeout, and reading with an idle timeout, an
//! overall deadline and a byte cap, so that no server can hold a probe longer than its
//! budget or make it buffer more than the cap.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The timeouts one exchange runs under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Longest wait for a connection to be accepted.
    pub connect: Duration,
    /// Longest wait for any single read or write to make progress.
    pub io: Duration,
    /// When the whole endpoint (every request to this host:port) must be done.
    pub deadline: Instant,
    /// Most bytes kept of one response.
    pub max_bytes: usize,
}

impl Limits {
    /// Time left before the deadline, capped at `step` (never zero: the OS treats a zero
    /// timeout as "block forever").
    pub fn step(&self, step: Duration) -> Option<Duration> {
        let left = self.deadline.checked_duration_since(Instant::now())?;
        let wait = left.min(step);
        (wait >= Duration::from_millis(1)).then_some(wait)
    }
}

/// How a connection attempt ended.
#[derive(Debug)]
pub(crate) enum Connect {
    /// Accepted.
    Open(TcpStream),
    /// Refused (RST): nothing listens.
    Closed,
    /// No answer before the timeout: dropped by a filter, or a listener that never accepts.
    Filtered,
    /// Anything else (unreachable network, no route...).
    Failed(String),
    /// The endpoint's deadline (or the run's budget) left no time to try.
    OutOfTime,
}

/// Connects within `limits.connect` (and the endpoint deadline).
pub(crate) fn connect(addr: SocketAddr, limits: &Limits) -> Connect {
    let Some(wait) = limits.step(limits.connect) else {
        return Connect::OutOfTime;
    };
    match TcpStream::connect_timeout(&addr, wait) {
        Ok(stream) => {
            let _ = stream.set_nodelay(true);
            Connect::Open(stream)
        }
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Connect::Closed,
        Err(e) if is_timeout(&e) => Connect::Filtered,
        Err(e) => Connect::Failed(e.to_string()),
    }
}

/// True for the errors a socket timeout produces (`WouldBlock` on Unix, `TimedOut`
/// elsewhere).
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// A stream whose reads and writes each wait at most the idle timeout and never past the
/// deadline. Wraps the TCP stream under TLS too, so the handshake is bounded alike.
pub(crate) struct Bounded {
    pub stream: TcpStream,
    pub limits: Limits,
}

impl Bounded {
    fn arm(&self, write: bool) -> io::Result<()> {
        let wait = self
            .limits
            .step(self.limits.io)
            .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "endpoint deadline passed"))?;
        if write {
            self.stream.set_write_timeout(Some(wait))
        } else {
            self.stream.set_read_timeout(Some(wait))
        }
    }
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm(false)?;
        self.stream.read(buf)
    }
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm(true)?;
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// What reading a response produced.
#[derive(Debug, Default)]
pub(crate) struct Received {
    /// The bytes kept (at most the cap).
    pub bytes: Vec<u8>,
    /// The cap was reached; the rest was not read.
    pub truncated: bool,
    /// The peer stopped sending before the response was complete (idle timeout or
    /// deadline).
    pub stalled: bool,
    /// A read failed (reset, TLS alert...).
    pub error: Option<String>,
}

/// Reads until `complete` says the response is whole, the peer closes, the cap is reached,
/// or the peer stalls.
pub(crate) fn read_until(
    reader: &mut dyn Read,
    max_bytes: usize,
    complete: impl Fn(&[u8]) -> bool,
) -> Received {
    let mut got = Received::default();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if complete(&got.bytes) {
            return got;
        }
        if got.bytes.len() >= max_bytes {
            got.truncated = true;
            return got;
        }
        match reader.read(&mut chunk) {
            Ok(0) => return got,
            Ok(n) => {
                let room = max_bytes - got.bytes.len();
                got.bytes.extend_from_slice(&chunk[..n.min(room)]);
                if n > room {
                    got.truncated = true;
                    return got;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => {
                got.stalled = true;
                return got;
            }
            // A close without TLS close_notify still ends the response.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return got,
            Err(e) => {
                got.error = Some(e.to_string());
                return got;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Chunks(Vec<io::Result<Vec<u8>>>);

    impl Read for Chunks {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            let next = self.0.remove(0)?;
            buf[..next.len()].copy_from_slice(&next);
            Ok(next.len())
        }
    }

    #[test]
    fn the_cap_truncates() {
        let mut r = Chunks(vec![Ok(vec![b'a'; 100]), Ok(vec![b'b'; 100])]);
        let got = read_until(&mut r, 150, |_| false);
        assert_eq!(got.bytes.len(), 150);
        assert!(got.truncated && !got.stalled);
    }

    #[test]
    fn a_timeout_is_a_stall_and_keeps_what_came() {
        let mut r = Chunks(vec![
            Ok(b"HTTP/1.1 200".to_vec()),
            Err(io::Error::new(io::ErrorKind::WouldBlock, "slow")),
        ]);
        let got = read_until(&mut r, 1000, |_| false);
        assert_eq!(got.bytes, b"HTTP/1.1 200");
        assert!(got.stalled && !got.truncated);
    }

    #[test]
    fn complete_stops_reading() {
        let mut r = Chunks(vec![Ok(b"done".to_vec()), Ok(b"more".to_vec())]);
        let got = read_until(&mut r, 1000, |b| b.ends_with(b"done"));
        assert_eq!(got.bytes, b"done");
    }

    #[test]
    fn a_passed_deadline_gives_no_step() {
        let limits = Limits {
            connect: Duration::from_secs(1),
            io: Duration::from_secs(1),
            deadline: Instant::now(),
            max_bytes: 10,
        };
        assert!(limits.step(Duration::from_secs(1)).is_none());
    }
}

//! The load generator's HTTP/1.1 client: one keep-alive connection, one request in flight,
//! written and read by the task that owns it, as wrk does.
//!
//! hyper's client splits every connection into two tasks (the sender and the connection
//! driver), so each request costs the generator two task wake-ups across its threads on top of
//! the socket calls. On a 2-core machine the generator shares the cores with the server it
//! measures, and that overhead was taken from the server: on the same server, `wrk -t1` drove
//! ~30% more `checkLoginStatus` requests per second than the hyper generator. This client
//! writes the request's bytes and reads the answer in the same task, with no copy of the body
//! beyond the read buffer; a load run gives each thread its own single-threaded runtime.

use std::io;
use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest header block accepted in an answer.
const MAX_HEAD: usize = 64 * 1024;
/// Headers read from an answer (the servers measured send about ten).
const MAX_HEADERS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("the server closed the connection")]
    Closed,
    #[error("malformed answer: {0}")]
    Malformed(&'static str),
}

/// The request line, headers (with `host` and `content-length`) and body of one request.
pub fn encode(
    method: &str,
    path: &str,
    host: &str,
    headers: &[(&str, &[u8])],
    body: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + path.len() + body.len());
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || method != "GET" {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// How the body of an answer ends.
enum Framing {
    Length(usize),
    Chunked,
    /// Neither length nor chunks: the body ends with the connection.
    UntilClose,
}

/// One answer's head: status, framing, whether the server closes afterwards, and its size.
struct Head {
    status: u16,
    framing: Framing,
    close: bool,
    len: usize,
}

fn parse_head(buf: &[u8]) -> Result<Option<Head>, WireError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut headers);
    let len = match res.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(WireError::Malformed("status line or headers")),
    };
    let status = res.code.ok_or(WireError::Malformed("no status"))?;
    let mut framing = Framing::UntilClose;
    let mut close = res.version == Some(0);
    for h in res.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .ok_or(WireError::Malformed("content-length"))?;
            if !matches!(framing, Framing::Chunked) {
                framing = Framing::Length(n);
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            if h.value.eq_ignore_ascii_case(b"chunked") {
                framing = Framing::Chunked;
            }
        } else if h.name.eq_ignore_ascii_case("connection") {
            close = h.value.eq_ignore_ascii_case(b"close");
        }
    }
    // Answers that never have a body (RFC 9112 §6.3).
    if status == 204 || status == 304 || (100..200).contains(&status) {
        framing = Framing::Length(0);
    }
    Ok(Some(Head {
        status,
        framing,
        close,
        len,
    }))
}

/// Decodes a complete chunked body at the start of `buf`: the body and the bytes it took, or
/// `None` while more is needed.
fn dechunk(buf: &[u8]) -> Result<Option<(Vec<u8>, usize)>, WireError> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let Some(eol) = find(&buf[at..], b"\r\n") else {
            return Ok(None);
        };
        let line = std::str::from_utf8(&buf[at..at + eol])
            .map_err(|_| WireError::Malformed("chunk size"))?;
        let size_hex = line.split(';').next().unwrap_or("").trim();
        let size =
            usize::from_str_radix(size_hex, 16).map_err(|_| WireError::Malformed("chunk size"))?;
        at += eol + 2;
        if size == 0 {
            // Trailers, then an empty line.
            loop {
                let Some(eol) = find(&buf[at..], b"\r\n") else {
                    return Ok(None);
                };
                at += eol + 2;
                if eol == 0 {
                    return Ok(Some((body, at)));
                }
            }
        }
        if buf.len() < at + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&buf[at..at + size]);
        at += size + 2;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One keep-alive connection.
pub struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    /// The server said it closes the connection after the last answer.
    closed: bool,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: BytesMut::with_capacity(16 * 1024),
            closed: false,
        })
    }

    /// Whether the connection can carry another request.
    pub fn reusable(&self) -> bool {
        !self.closed
    }

    async fn fill(&mut self) -> Result<usize, WireError> {
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(16 * 1024);
        }
        Ok(self.stream.read_buf(&mut self.buf).await?)
    }

    /// Sends `request` (from [`encode`]) and reads the whole answer.
    pub async fn round_trip(&mut self, request: &[u8]) -> Result<(u16, Bytes), WireError> {
        self.stream.write_all(request).await?;
        let head = loop {
            if let Some(h) = parse_head(&self.buf)? {
                break h;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(WireError::Malformed("header block too large"));
            }
            if self.fill().await? == 0 {
                return Err(WireError::Closed);
            }
        };
        self.closed = head.close;
        let body = match head.framing {
            Framing::Length(n) => {
                while self.buf.len() < head.len + n {
                    if self.fill().await? == 0 {
                        return Err(WireError::Closed);
                    }
                }
                let mut answer = self.buf.split_to(head.len + n);
                let _ = answer.split_to(head.len);
                answer.freeze()
            }
            Framing::Chunked => loop {
                if let Some((body, used)) = dechunk(&self.buf[head.len..])? {
                    let _ = self.buf.split_to(head.len + used);
                    break Bytes::from(body);
                }
                if self.fill().await? == 0 {
                    return Err(WireError::Closed);
                }
            },
            Framing::UntilClose => {
                while self.fill().await? != 0 {}
                self.closed = true;
                let mut answer = self.buf.split();
                let _ = answer.split_to(head.len);
                answer.freeze()
            }
        };
        Ok((head.status, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_and_framing() {
        let h = parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")
            .unwrap()
            .unwrap();
        assert_eq!(h.status, 200);
        assert!(matches!(h.framing, Framing::Length(5)));
        assert!(!h.close);
        assert_eq!(h.len, 38);
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ncontent-le")
            .unwrap()
            .is_none());
        let h = parse_head(
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        assert!(matches!(h.framing, Framing::Chunked));
        assert!(h.close);
        assert!(parse_head(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn chunked_bodies() {
        let (body, used) = dechunk(b"5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\nNEXT")
            .unwrap()
            .unwrap();
        assert_eq!(body, b"hello world");
        assert_eq!(used, 30);
        assert!(dechunk(b"5\r\nhel").unwrap().is_none());
        assert!(dechunk(b"5\r\nhello\r\n0\r\n").unwrap().is_none());
        assert!(dechunk(b"zz\r\n").is_err());
    }

    #[test]
    fn requests_carry_host_and_length() {
        let r = encode(
            "POST",
            "/graphql/v2",
            "127.0.0.1:1",
            &[("content-type", b"application/json")],
            b"{}",
        );
        assert_eq!(
            r,
            b"POST /graphql/v2 HTTP/1.1\r\nhost: 127.0.0.1:1\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
        );
        let r = encode("GET", "/ready", "h", &[], b"");
        assert_eq!(r, b"GET /ready HTTP/1.1\r\nhost: h\r\n\r\n");
    }
}

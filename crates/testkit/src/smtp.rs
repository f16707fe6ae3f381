//! A fake SMTP relay on loopback speaking real SMTP (RFC 5321) over TCP: greeting, `EHLO`/`HELO`,
//! `AUTH PLAIN`/`AUTH LOGIN` (RFC 4954), `MAIL`, `RCPT`, `DATA` with dot-unstuffing, `RSET`,
//! `NOOP`, `QUIT`. It records accepted mails and answers the end of `DATA` with scripted reply
//! codes, so tests see what a relay saw and how a sender reacts to 4xx and 5xx. No TLS.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Longest command line or message accepted (larger sessions are dropped).
const MAX_LINE: usize = 4096;
const MAX_MESSAGE: usize = 1024 * 1024;

/// One mail the sink accepted.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The client's `EHLO`/`HELO` name.
    pub helo: String,
    /// The user and password the client authenticated with, if it did.
    pub auth: Option<(String, String)>,
    /// `MAIL FROM` address (without angle brackets).
    pub from: String,
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The message as transferred (headers, blank line, body), dot-unstuffed, CRLF line ends.
    pub data: String,
}

impl Mail {
    /// The first header named `name` (any case), unfolded; encoded words are left as sent.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(v) = found.as_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                continue;
            }
            if found.is_some() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.trim().eq_ignore_ascii_case(name)
            {
                found = Some(v.trim().to_string());
            }
        }
        found
    }

    /// The body decoded from its `Content-Transfer-Encoding` (7bit, 8bit, quoted-printable or
    /// base64), with `\n` line ends.
    pub fn body(&self) -> String {
        let raw = self
            .data
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or_default();
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "quoted-printable" => decode_quoted_printable(raw),
            "base64" => decode_base64(&raw.replace("\r\n", "")).unwrap_or_default(),
            _ => raw.as_bytes().to_vec(),
        };
        String::from_utf8_lossy(&bytes).replace("\r\n", "\n")
    }
}

#[derive(Debug, Default)]
struct Inner {
    mails: Vec<Mail>,
    script: VecDeque<u16>,
    credentials: Option<(String, String)>,
    transfers: usize,
}

/// An SMTP relay recording what it accepts; answers `DATA` with scripted codes, then 250.
#[derive(Debug, Clone)]
pub struct SmtpSink {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl SmtpSink {
    /// Starts a sink on `127.0.0.1:0`.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Mutex::new(Inner::default()));
        let shared = inner.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let inner = shared.clone();
                tokio::spawn(async move {
                    let _ = Session::new(inner).serve(stream).await;
                });
            }
        });
        Ok(Self { addr, inner })
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// `smtp://user:password@127.0.0.1:<port>` (no escaping: keep them URL-safe).
    pub fn url_with_credentials(&self, user: &str, password: &str) -> String {
        format!("smtp://{user}:{password}@{}", self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// From now on `MAIL` needs a successful `AUTH` with these credentials (530 otherwise).
    pub fn require_auth(&self, user: &str, password: &str) {
        self.lock().credentials = Some((user.to_string(), password.to_string()));
    }

    /// Answers the end of the next `DATA` transfers with these codes (then 250 again). A mail
    /// answered with anything but 250 is not recorded.
    pub fn script(&self, codes: &[u16]) {
        self.lock().script.extend(codes);
    }

    /// Mails accepted so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.lock().mails.clone()
    }

    /// Complete `DATA` transfers so far, accepted or not.
    pub fn transfers(&self) -> usize {
        self.lock().transfers
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

// === impl Session ===

struct Session {
    inner: Arc<Mutex<Inner>>,
    helo: String,
    auth: Option<(String, String)>,
    from: Option<String>,
    to: Vec<String>,
}

type Lines = BufReader<tokio::io::ReadHalf<TcpStream>>;
type Writer = tokio::io::WriteHalf<TcpStream>;

impl Session {
    fn new(inner: Arc<Mutex<Inner>>) -> Self {
        Self {
            inner,
            helo: String::new(),
            auth: None,
            from: None,
            to: Vec::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn serve(mut self, stream: TcpStream) -> anyhow::Result<()> {
        let (read, mut write) = tokio::io::split(stream);
        let mut lines = BufReader::new(read);
        reply(&mut write, "220 tocsin-testkit ESMTP ready").await?;
        while let Some(line) = read_line(&mut lines).await? {
            let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
            match verb.to_ascii_uppercase().as_str() {
                "EHLO" => {
                    self.helo = arg.trim().to_string();
                    reply(
                        &mut write,
                        "250-tocsin-testkit\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 SMTPUTF8",
                    )
                    .await?;
                }
                "HELO" => {
                    self.helo = arg.trim().to_string();
                    reply(&mut write, "250 tocsin-testkit").await?;
                }
                "AUTH" => self.auth(arg, &mut lines, &mut write).await?,
                "MAIL" => {
                    let needs_auth = self.lock().credentials.is_some();
                    if needs_auth && self.auth.is_none() {
                        reply(&mut write, "530 5.7.0 Authentication required").await?;
                    } else {
                        self.from = Some(path(arg));
                        self.to.clear();
                        reply(&mut write, "250 2.1.0 Ok").await?;
                    }
                }
                "RCPT" if self.from.is_none() => {
                    reply(&mut write, "503 5.5.1 MAIL first").await?;
                }
                "RCPT" => {
                    self.to.push(path(arg));
                    reply(&mut write, "250 2.1.5 Ok").await?;
                }
                "DATA" if self.to.is_empty() => {
                    reply(&mut write, "503 5.5.1 RCPT first").await?;
                }
                "DATA" => self.data(&mut lines, &mut write).await?,
                "RSET" => {
                    self.from = None;
                    self.to.clear();
                    reply(&mut write, "250 2.0.0 Ok").await?;
                }
                "NOOP" => reply(&mut write, "250 2.0.0 Ok").await?,
                "QUIT" => {
                    reply(&mut write, "221 2.0.0 Bye").await?;
                    break;
                }
                _ => reply(&mut write, "502 5.5.2 Command not recognized").await?,
            }
        }
        Ok(())
    }

    async fn auth(
        &mut self,
        arg: &str,
        lines: &mut Lines,
        write: &mut Writer,
    ) -> anyhow::Result<()> {
        let (mechanism, initial) = arg.split_once(' ').unwrap_or((arg, ""));
        let given = match mechanism.to_ascii_uppercase().as_str() {
            "PLAIN" => {
                let response = if initial.is_empty() {
                    reply(write, "334 ").await?;
                    read_line(lines).await?.unwrap_or_default()
                } else {
                    initial.to_string()
                };
                decode_base64(response.trim()).and_then(|b| {
                    let text = String::from_utf8(b).ok()?;
                    let mut parts = text.split('\0');
                    let _authzid = parts.next()?;
                    Some((parts.next()?.to_string(), parts.next()?.to_string()))
                })
            }
            "LOGIN" => {
                reply(write, "334 VXNlcm5hbWU6").await?;
                let user = read_line(lines).await?.unwrap_or_default();
                reply(write, "334 UGFzc3dvcmQ6").await?;
                let pass = read_line(lines).await?.unwrap_or_default();
                let text =
                    |s: &str| decode_base64(s.trim()).and_then(|b| String::from_utf8(b).ok());
                text(&user).zip(text(&pass))
            }
            _ => {
                reply(write, "504 5.5.4 Mechanism not supported").await?;
                return Ok(());
            }
        };
        let expected = self.lock().credentials.clone();
        match given {
            Some(creds) if expected.as_ref().is_none_or(|e| *e == creds) => {
                self.auth = Some(creds);
                reply(write, "235 2.7.0 Authentication successful").await
            }
            _ => reply(write, "535 5.7.8 Authentication credentials invalid").await,
        }
    }

    async fn data(&mut self, lines: &mut Lines, write: &mut Writer) -> anyhow::Result<()> {
        reply(write, "354 End data with <CR><LF>.<CR><LF>").await?;
        let mut data = String::new();
        loop {
            let Some(line) = read_line(lines).await? else {
                anyhow::bail!("connection closed during DATA");
            };
            if line == "." {
                break;
            }
            // RFC 5321 4.5.2: a leading dot was doubled by the sender.
            data.push_str(line.strip_prefix('.').unwrap_or(&line));
            data.push_str("\r\n");
            anyhow::ensure!(data.len() <= MAX_MESSAGE, "message too large");
        }
        let mail = Mail {
            helo: self.helo.clone(),
            auth: self.auth.clone(),
            from: self.from.take().unwrap_or_default(),
            to: std::mem::take(&mut self.to),
            data,
        };
        let answer = {
            let mut inner = self.lock();
            inner.transfers += 1;
            let code = inner.script.pop_front().unwrap_or(250);
            if code == 250 {
                inner.mails.push(mail);
                format!("250 2.0.0 Ok: queued as TK{:04}", inner.mails.len())
            } else if code < 500 {
                format!("{code} 4.3.0 Try again later (scripted)")
            } else {
                format!("{code} 5.7.1 Message rejected (scripted)")
            }
        };
        reply(write, &answer).await
    }
}

async fn reply(write: &mut Writer, text: &str) -> anyhow::Result<()> {
    write.write_all(text.as_bytes()).await?;
    write.write_all(b"\r\n").await?;
    write.flush().await?;
    Ok(())
}

/// One line without its CRLF; `None` at the end of the stream.
async fn read_line(lines: &mut Lines) -> anyhow::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = (&mut *lines)
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut buf)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    anyhow::ensure!(buf.ends_with(b"\n"), "line too long");
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// The address of `FROM:<a@b> PARAMS` or `TO:<a@b>`.
fn path(arg: &str) -> String {
    let after = arg.split_once(':').map(|(_, a)| a).unwrap_or(arg).trim();
    let inside = after
        .strip_prefix('<')
        .and_then(|a| a.split_once('>'))
        .map(|(a, _)| a)
        .unwrap_or_else(|| after.split(' ').next().unwrap_or_default());
    inside.to_string()
}

/// Standard base64 (padding optional); `None` when malformed.
pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let s = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.chunks(4) {
        let mut acc = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            acc |= value(*c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        match chunk.len() {
            4 => out.extend_from_slice(&bytes[1..4]),
            3 => out.extend_from_slice(&bytes[1..3]),
            2 => out.push(bytes[1]),
            _ => return None,
        }
    }
    Some(out)
}

/// Quoted-printable (RFC 2045 6.7): soft line breaks removed, `=XX` decoded.
fn decode_quoted_printable(s: &str) -> Vec<u8> {
    let joined = s.replace("=\r\n", "");
    let b = joined.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && let Some(hex) = b.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(&String::from_utf8_lossy(hex), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders_match_known_values() {
        assert_eq!(decode_base64("AHVzZXIAcGFzcw==").unwrap(), b"\0user\0pass");
        assert_eq!(decode_base64("TWE").unwrap(), b"Ma");
        assert!(decode_base64("*").is_none());
        assert_eq!(
            decode_quoted_printable("a=3Db=\r\nc =C3=A9"),
            "a=bc é".as_bytes()
        );
        assert_eq!(path("FROM:<a@b.c> BODY=8BITMIME"), "a@b.c");
        assert_eq!(path("TO:<x@y>"), "x@y");
    }
}

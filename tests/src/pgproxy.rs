//! A loopback proxy in front of Postgres that counts what clients send:
//! round trips (a `Sync` or a simple `Query` each waits for the server),
//! statements executed, explicit `COMMIT`s and connections opened. Lets a
//! benchmark count the database work of one exchange without
//! `pg_stat_statements` or any change to the server. Clients must not use
//! TLS (`sslmode=disable`), or there is nothing to read.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering::Relaxed},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// Running totals over every connection through the proxy.
#[derive(Default, Debug)]
pub struct Counters {
    pub connections: AtomicU64,
    pub round_trips: AtomicU64,
    pub statements: AtomicU64,
    pub commits: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub connections: u64,
    pub round_trips: u64,
    pub statements: u64,
    pub commits: u64,
}

impl Counters {
    pub fn snapshot(&self) -> Counts {
        Counts {
            connections: self.connections.load(Relaxed),
            round_trips: self.round_trips.load(Relaxed),
            statements: self.statements.load(Relaxed),
            commits: self.commits.load(Relaxed),
        }
    }
}

impl std::ops::Sub for Counts {
    type Output = Counts;
    fn sub(self, o: Counts) -> Counts {
        Counts {
            connections: self.connections - o.connections,
            round_trips: self.round_trips - o.round_trips,
            statements: self.statements - o.statements,
            commits: self.commits - o.commits,
        }
    }
}

pub struct CountingProxy {
    pub port: u16,
    pub counters: Arc<Counters>,
}

impl CountingProxy {
    /// Listens on a free loopback port and forwards to `upstream` (host:port).
    pub async fn start(upstream: String) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                c.connections.fetch_add(1, Relaxed);
                tokio::spawn(pipe(client, server, c.clone()));
            }
        });
        CountingProxy { port, counters }
    }
}

async fn pipe(client: TcpStream, server: TcpStream, counters: Arc<Counters>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let down = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut sr, &mut cw).await;
        let _ = cw.shutdown().await;
    });
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 16 * 1024];
    let mut started = false;
    loop {
        let n = match cr.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if sw.write_all(&chunk[..n]).await.is_err() {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        started = count_messages(&mut buf, started, &counters);
    }
    let _ = sw.shutdown().await;
    let _ = down.await;
}

/// Counts the complete frontend messages at the head of `buf` and removes
/// them. The first message of a connection (startup) has no type byte.
fn count_messages(buf: &mut Vec<u8>, mut started: bool, c: &Counters) -> bool {
    let mut at = 0;
    loop {
        let head = if started { 1 } else { 0 };
        if buf.len() < at + head + 4 {
            break;
        }
        let len_bytes: [u8; 4] = buf[at + head..at + head + 4].try_into().expect("4 bytes");
        let len = u32::from_be_bytes(len_bytes) as usize;
        if buf.len() < at + head + len {
            break;
        }
        if started {
            match buf[at] {
                b'S' => {
                    c.round_trips.fetch_add(1, Relaxed);
                }
                b'E' => {
                    c.statements.fetch_add(1, Relaxed);
                }
                b'Q' => {
                    c.round_trips.fetch_add(1, Relaxed);
                    c.statements.fetch_add(1, Relaxed);
                    let sql = String::from_utf8_lossy(&buf[at + 5..at + 1 + len]);
                    let sql = sql.trim_start().to_ascii_uppercase();
                    if sql.starts_with("COMMIT") || sql.starts_with("END") {
                        c.commits.fetch_add(1, Relaxed);
                    }
                }
                _ => {}
            }
        }
        at += head + len;
        started = true;
    }
    buf.drain(..at);
    started
}

//! A loopback TCP proxy that lets each connection carry at most a given
//! number of request bytes upstream, then cuts it: a store that fails in
//! the middle of an upload, every time, with no timing involved.

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// Listens on a free loopback port, forwarding to `upstream` (host:port);
/// the port.
pub async fn start(upstream: String, budget: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(&upstream).await else {
                continue;
            };
            tokio::spawn(pipe(client, server, budget));
        }
    });
    port
}

async fn pipe(client: TcpStream, server: TcpStream, budget: usize) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = async move {
        let mut left = budget;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if n > left {
                // Cut: both directions close with the connection.
                let _ = server_write.write_all(&buf[..left]).await;
                return;
            }
            left -= n;
            if server_write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let down = async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    };
    // Whichever side ends first ends the connection.
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
}

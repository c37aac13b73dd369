//! echo: TCP echo server and client in one program. 100 connections to
//! 127.0.0.1, each 10,000 round trips of 64 bytes, TCP_NODELAY on both ends.
//! Prints the round-trip count (1000000), then `rate: N rt/s`.
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CONNS: u64 = 100;
const TRIPS: u64 = 10_000;
const SIZE: usize = 64;

async fn handle(mut conn: TcpStream) {
    let _ = conn.set_nodelay(true);
    let mut buf = [0u8; 4096];
    loop {
        let n = match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if conn.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

async fn client(port: u16, trips: u64) -> u64 {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    conn.set_nodelay(true).unwrap();
    let msg = b"0123456789abcdef".repeat(SIZE / 16);
    let mut buf = [0u8; SIZE];
    let mut done = 0;
    for _ in 0..trips {
        conn.write_all(&msg).await.unwrap();
        conn.read_exact(&mut buf).await.unwrap();
        done += 1;
    }
    done
}

#[tokio::main]
async fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        for _ in 0..CONNS {
            let (conn, _) = listener.accept().await.unwrap();
            tokio::spawn(handle(conn));
        }
    });
    let start = Instant::now();
    let clients: Vec<_> = (0..CONNS).map(|_| tokio::spawn(client(port, TRIPS))).collect();
    let mut total = 0u64;
    for c in clients {
        total += c.await.unwrap();
    }
    let elapsed_ms = (start.elapsed().as_millis() as u64).max(1);
    server.await.unwrap();
    println!("{total}");
    println!("rate: {} rt/s", total * 1000 / elapsed_ms);
}

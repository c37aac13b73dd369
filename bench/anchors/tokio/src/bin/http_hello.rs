//! http_hello: HTTP/1.1 keep-alive server on 127.0.0.1 answering every request
//! with `200 OK`, `Content-Length: 13`, `Hello, World!`. Listens on a free port
//! and prints it as the first stdout line, then serves until killed. Requests
//! are read up to their blank line; pipelined requests get one write.
use std::io::Write;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const REPLY: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!";

fn find_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

async fn serve_conn(mut conn: TcpStream) {
    let _ = conn.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let n = match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        out.clear();
        while let Some(pos) = find_end(&buf) {
            out.extend_from_slice(REPLY);
            buf.drain(..pos + 4);
        }
        if !out.is_empty() && conn.write_all(&out).await.is_err() {
            return;
        }
    }
}

#[tokio::main]
async fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    println!("{port}");
    std::io::stdout().flush().unwrap();
    loop {
        let (conn, _) = listener.accept().await.unwrap();
        tokio::spawn(serve_conn(conn));
    }
}

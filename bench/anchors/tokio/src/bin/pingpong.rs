//! pingpong: two tasks pass a counter back and forth over two channels of
//! capacity 1, 1,000,000 round trips; prints 1000000.
use tokio::sync::mpsc;

const TRIPS: u64 = 1_000_000;

#[tokio::main]
async fn main() {
    let (ping_tx, mut ping_rx) = mpsc::channel::<u64>(1);
    let (pong_tx, mut pong_rx) = mpsc::channel::<u64>(1);
    let ponger = tokio::spawn(async move {
        for _ in 0..TRIPS {
            let v = ping_rx.recv().await.unwrap();
            pong_tx.send(v + 1).await.unwrap();
        }
    });
    let pinger = tokio::spawn(async move {
        let mut v = 0u64;
        for _ in 0..TRIPS {
            ping_tx.send(v).await.unwrap();
            v = pong_rx.recv().await.unwrap();
        }
        v
    });
    let count = pinger.await.unwrap();
    ponger.await.unwrap();
    println!("{count}");
}

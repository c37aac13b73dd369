//! timers: 100,000 tasks, task i sleeps ((i * 7919) mod 100) + 1 ms; all
//! awaited; prints 100000.
use std::time::Duration;

#[tokio::main]
async fn main() {
    let mut handles = Vec::with_capacity(100_000);
    for i in 0..100_000u64 {
        handles.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis((i * 7919) % 100 + 1)).await;
            1u64
        }));
    }
    let mut total = 0u64;
    for h in handles {
        total += h.await.unwrap();
    }
    println!("{total}");
}

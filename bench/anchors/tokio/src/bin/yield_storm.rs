//! yield_storm: 1,000 tasks each yield 1,000 times; prints 1000000.
#[tokio::main]
async fn main() {
    let mut handles = Vec::with_capacity(1_000);
    for _ in 0..1_000 {
        handles.push(tokio::spawn(async {
            let mut count = 0u64;
            for _ in 0..1_000 {
                tokio::task::yield_now().await;
                count += 1;
            }
            count
        }));
    }
    let mut total = 0u64;
    for h in handles {
        total += h.await.unwrap();
    }
    println!("{total}");
}

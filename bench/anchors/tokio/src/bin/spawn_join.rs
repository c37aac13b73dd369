//! spawn_join: one task spawns 1,000,000 trivial tasks, awaits all, sums;
//! prints 499999500000.
#[tokio::main]
async fn main() {
    let total = tokio::spawn(async {
        let mut handles = Vec::with_capacity(1_000_000);
        for i in 0..1_000_000u64 {
            handles.push(tokio::spawn(async move { i }));
        }
        let mut sum = 0u64;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    })
    .await
    .unwrap();
    println!("{total}");
}

//! fib_spawn: fib(n) spawns fib(n-1) as a task and computes fib(n-2) inline;
//! n = 27 (317,810 spawns); prints 196418.
use std::future::Future;
use std::pin::Pin;

fn fib(n: u64) -> Pin<Box<dyn Future<Output = u64> + Send>> {
    Box::pin(async move {
        if n < 2 {
            return n;
        }
        let first = tokio::spawn(fib(n - 1));
        let second = fib(n - 2).await;
        first.await.unwrap() + second
    })
}

#[tokio::main]
async fn main() {
    let v = tokio::spawn(fib(27)).await.unwrap();
    println!("{v}");
}

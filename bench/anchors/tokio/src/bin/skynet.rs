//! skynet: 1,111,111 tasks (10-ary tree, 6 levels); prints 499999500000.
use tokio::task::JoinHandle;

fn spawn_skynet(num: u64, size: u64) -> JoinHandle<u64> {
    tokio::spawn(skynet(num, size))
}

async fn skynet(num: u64, size: u64) -> u64 {
    if size == 1 {
        return num;
    }
    let child = size / 10;
    let mut kids = Vec::with_capacity(10);
    for i in 0..10 {
        kids.push(spawn_skynet(num + i * child, child));
    }
    let mut sum = 0;
    for k in kids {
        sum += k.await.unwrap();
    }
    sum
}

#[tokio::main]
async fn main() {
    let total = spawn_skynet(0, 1_000_000).await.unwrap();
    println!("{total}");
}

// spawn_join: one goroutine spawns 1,000,000 trivial goroutines (each stores
// its index), waits for all with a WaitGroup and sums; prints 499999500000.
package main

import (
	"fmt"
	"sync"
)

const n = 1_000_000

func main() {
	out := make(chan int64, 1)
	go func() {
		vals := make([]int64, n)
		var wg sync.WaitGroup
		wg.Add(n)
		for i := 0; i < n; i++ {
			go func(i int) {
				vals[i] = int64(i)
				wg.Done()
			}(i)
		}
		wg.Wait()
		var sum int64
		for _, v := range vals {
			sum += v
		}
		out <- sum
	}()
	fmt.Println(<-out)
}

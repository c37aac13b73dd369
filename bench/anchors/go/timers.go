// timers: 100,000 goroutines, goroutine i sleeps ((i * 7919) mod 100) + 1 ms;
// all awaited with a WaitGroup; prints 100000.
package main

import (
	"fmt"
	"sync"
	"time"
)

const n = 100_000

func main() {
	done := make([]int64, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration((i*7919)%100+1) * time.Millisecond)
			done[i] = 1
		}(i)
	}
	wg.Wait()
	var total int64
	for _, d := range done {
		total += d
	}
	fmt.Println(total)
}

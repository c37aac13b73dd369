// yield_storm: 1,000 goroutines each yield (runtime.Gosched) 1,000 times;
// prints 1000000.
package main

import (
	"fmt"
	"runtime"
	"sync"
)

func main() {
	counts := make([]int64, 1_000)
	var wg sync.WaitGroup
	wg.Add(len(counts))
	for i := range counts {
		go func(i int) {
			defer wg.Done()
			var c int64
			for j := 0; j < 1_000; j++ {
				runtime.Gosched()
				c++
			}
			counts[i] = c
		}(i)
	}
	wg.Wait()
	var total int64
	for _, c := range counts {
		total += c
	}
	fmt.Println(total)
}

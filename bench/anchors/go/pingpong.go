// pingpong: two goroutines pass a counter back and forth over two channels of
// capacity 1, 1,000,000 round trips; prints 1000000.
package main

import (
	"fmt"
	"sync"
)

const trips = 1_000_000

func main() {
	ping := make(chan int64, 1)
	pong := make(chan int64, 1)
	var wg sync.WaitGroup
	var count int64
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < trips; i++ {
			v := <-ping
			pong <- v + 1
		}
	}()
	go func() {
		defer wg.Done()
		var v int64
		for i := 0; i < trips; i++ {
			ping <- v
			v = <-pong
		}
		count = v
	}()
	wg.Wait()
	fmt.Println(count)
}

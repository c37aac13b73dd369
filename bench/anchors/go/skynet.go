// skynet: 1,111,111 goroutines (10-ary tree, 6 levels); prints 499999500000.
package main

import "fmt"

func skynet(out chan<- int64, num, size int64) {
	if size == 1 {
		out <- num
		return
	}
	child := size / 10
	kids := make(chan int64, 10)
	for i := int64(0); i < 10; i++ {
		go skynet(kids, num+i*child, child)
	}
	var sum int64
	for i := 0; i < 10; i++ {
		sum += <-kids
	}
	out <- sum
}

func main() {
	out := make(chan int64, 1)
	go skynet(out, 0, 1_000_000)
	fmt.Println(<-out)
}

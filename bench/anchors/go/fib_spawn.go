// fib_spawn: fib(n) runs fib(n-1) in a new goroutine and computes fib(n-2)
// inline; n = 27 (317,810 goroutines); prints 196418.
package main

import "fmt"

func fib(n int64) int64 {
	if n < 2 {
		return n
	}
	first := make(chan int64, 1)
	go func() { first <- fib(n - 1) }()
	second := fib(n - 2)
	return <-first + second
}

func main() {
	out := make(chan int64, 1)
	go func() { out <- fib(27) }()
	fmt.Println(<-out)
}

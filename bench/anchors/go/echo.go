// echo: TCP echo server and client in one program. 100 connections to
// 127.0.0.1, each 10,000 round trips of 64 bytes, TCP_NODELAY on both ends
// (Go's default, set explicitly). Prints the round-trip count (1000000), then
// `rate: N rt/s`.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

const (
	conns = 100
	trips = 10_000
	size  = 64
)

func handle(conn net.Conn) {
	defer conn.Close()
	conn.(*net.TCPConn).SetNoDelay(true)
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			if _, werr := conn.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func client(port int, counts []int64, idx int, wg *sync.WaitGroup) {
	defer wg.Done()
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetNoDelay(true)
	msg := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	buf := make([]byte, size)
	var done int64
	for i := 0; i < trips; i++ {
		if _, err := conn.Write(msg); err != nil {
			panic(err)
		}
		if _, err := io.ReadFull(conn, buf); err != nil {
			panic(err)
		}
		done++
	}
	counts[idx] = done
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	serverDone := make(chan struct{})
	go func() {
		for i := 0; i < conns; i++ {
			conn, err := ln.Accept()
			if err != nil {
				panic(err)
			}
			go handle(conn)
		}
		close(serverDone)
	}()
	start := time.Now()
	counts := make([]int64, conns)
	var wg sync.WaitGroup
	wg.Add(conns)
	for i := 0; i < conns; i++ {
		go client(port, counts, i, &wg)
	}
	wg.Wait()
	elapsed := time.Since(start).Milliseconds()
	if elapsed < 1 {
		elapsed = 1
	}
	<-serverDone
	ln.Close()
	var total int64
	for _, c := range counts {
		total += c
	}
	fmt.Println(total)
	fmt.Printf("rate: %d rt/s\n", total*1000/elapsed)
}

// http_hello: HTTP/1.1 keep-alive server on 127.0.0.1 answering every request
// with `200 OK`, `Content-Length: 13`, `Hello, World!`. Listens on a free port
// and prints it as the first stdout line, then serves until killed. Requests
// are read up to their blank line (raw net, like the Aria and Tokio
// versions, not net/http); pipelined requests get one write.
package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
)

var reply = []byte("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!")
var sep = []byte("\r\n\r\n")

func serveConn(conn net.Conn) {
	defer conn.Close()
	conn.(*net.TCPConn).SetNoDelay(true)
	buf := make([]byte, 0, 4096)
	chunk := make([]byte, 4096)
	out := make([]byte, 0, 4096)
	for {
		n, err := conn.Read(chunk)
		if n == 0 || err != nil {
			return
		}
		buf = append(buf, chunk[:n]...)
		out = out[:0]
		for {
			pos := bytes.Index(buf, sep)
			if pos < 0 {
				break
			}
			out = append(out, reply...)
			buf = buf[:copy(buf, buf[pos+4:])]
		}
		if len(out) > 0 {
			if _, err := conn.Write(out); err != nil {
				return
			}
		}
	}
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	for {
		conn, err := ln.Accept()
		if err != nil {
			panic(err)
		}
		go serveConn(conn)
	}
}

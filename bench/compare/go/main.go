// Go's process in magpie's runtime comparison (bench/compare/run.py): the
// command line, the workloads and their sizes are those of
// bench/compare/workloads.h, written as a Go programmer writes them
// (goroutines, sync.WaitGroup, channels, runtime.Gosched, time.Sleep), with
// GOMAXPROCS set to WORKERS. Standard library only.
//
//	go_peer bench WORKLOAD WORKERS SAMPLES [SCALE]
//	go_peer echo WORKERS
package main

import (
	"fmt"
	"math"
	"net"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"
)

const (
	spawnMany        = 10_000
	yieldTasks       = 200
	yieldsPerTask    = 1_000
	pingPongs        = 1_000
	chainDepth       = 1_000
	timers           = 100_000
	timerSpreadMs    = 10
	latenessTimers   = 1_000
	latenessSpreadMs = 50
	maxServe         = 900 * time.Second
)

func scaled(n int, scale float64) int {
	v := int(math.Round(float64(n) * scale))
	if v < 1 {
		return 1
	}
	return v
}

// spawnAll starts n goroutines running f and waits for all of them.
func spawnAll(n int, f func(i int)) {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			defer wg.Done()
			f(i)
		}(i)
	}
	wg.Wait()
}

// onGoroutine runs f on a fresh goroutine (the "spawned root task" of the
// other peers) and waits for it.
func onGoroutine(f func()) {
	done := make(chan struct{})
	go func() {
		f()
		close(done)
	}()
	<-done
}

func pingPong() {
	ping := make(chan int, 1)
	pong := make(chan int, 1)
	go func() {
		v := <-ping
		pong <- v
	}()
	ping <- 1
	<-pong
}

func chain(done chan<- struct{}, remaining int) {
	if remaining == 0 {
		done <- struct{}{}
		return
	}
	go chain(done, remaining-1)
}

func timerLatenessP99(n int) float64 {
	late := make([]float64, n)
	spawnAll(n, func(i int) {
		d := time.Duration(1+i%latenessSpreadMs) * time.Millisecond
		due := time.Now().Add(d)
		time.Sleep(d)
		late[i] = float64(time.Since(due).Nanoseconds()) / 1e3
	})
	sort.Float64s(late)
	rank := int(0.99 * float64(n))
	if rank > n-1 {
		rank = n - 1
	}
	return late[rank]
}

// runSample runs one sample of workload and returns its value (ms; us for
// the lateness), or false for an unknown workload.
func runSample(workload string, scale float64) (float64, bool) {
	start := time.Now()
	switch workload {
	case "spawn_many":
		onGoroutine(func() { spawnAll(scaled(spawnMany, scale), func(int) {}) })
	case "spawn_remote":
		// Go has no outside-the-runtime thread: the main goroutine spawns.
		spawnAll(scaled(spawnMany, scale), func(int) {})
	case "yield_many":
		yields := scaled(yieldsPerTask, scale)
		onGoroutine(func() {
			spawnAll(scaled(yieldTasks, scale), func(int) {
				for j := 0; j < yields; j++ {
					runtime.Gosched()
				}
			})
		})
	case "ping_pong":
		onGoroutine(func() { spawnAll(scaled(pingPongs, scale), func(int) { pingPong() }) })
	case "chained_spawn":
		done := make(chan struct{}, 1)
		go chain(done, scaled(chainDepth, scale))
		<-done
	case "timers_100k":
		onGoroutine(func() {
			spawnAll(scaled(timers, scale), func(i int) {
				time.Sleep(time.Duration(1+i%timerSpreadMs) * time.Millisecond)
			})
		})
	case "timer_lateness_p99":
		var p99 float64
		onGoroutine(func() { p99 = timerLatenessP99(scaled(latenessTimers, scale)) })
		return p99, true
	default:
		return 0, false
	}
	return float64(time.Since(start).Nanoseconds()) / 1e6, true
}

func echo(conn net.Conn) {
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
		if err != nil { // io.EOF: the client is done
			return
		}
	}
}

func serve() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	fmt.Printf("port %d\n", listener.Addr().(*net.TCPAddr).Port)
	for {
		conn, err := listener.Accept()
		if err == nil {
			go echo(conn)
		}
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: go_peer bench WORKLOAD WORKERS SAMPLES [SCALE]\n       go_peer echo WORKERS")
	os.Exit(2)
}

func main() {
	args := os.Args
	if len(args) < 3 {
		usage()
	}
	bench := args[1] == "bench"
	workersArg := 2
	if bench {
		workersArg = 3
	}
	if len(args) <= workersArg {
		usage()
	}
	workers, err := strconv.Atoi(args[workersArg])
	if err != nil || workers < 1 {
		usage()
	}
	runtime.GOMAXPROCS(workers)
	if args[1] == "echo" {
		time.AfterFunc(maxServe, func() { os.Exit(0) })
		serve()
		return
	}
	if !bench || len(args) < 5 {
		usage()
	}
	samples, err := strconv.Atoi(args[4])
	if err != nil || samples < 1 {
		usage()
	}
	scale := 1.0
	if len(args) > 5 {
		scale, err = strconv.ParseFloat(args[5], 64)
		if err != nil || !(scale > 0) {
			usage()
		}
	}
	for i := 0; i <= samples; i++ { // Sample 0 warms up.
		v, ok := runSample(args[2], scale)
		if !ok {
			fmt.Fprintln(os.Stderr, "unknown workload:", args[2])
			os.Exit(2)
		}
		if i > 0 {
			fmt.Printf("sample %.3f\n", v)
		}
	}
}

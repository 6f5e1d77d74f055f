// The demo API in Go, with the same endpoints as ../demo-api/app.py, from the standard library only:
//
//	demo-api [--host 0.0.0.0] [--port 8888]
//
//	GET /helloWorld -> {"message": "Hello World!"}
//	GET /work?ms=20 -> burns about MS milliseconds of CPU, then {"ms": ..., "iterations": ...}
//	GET /healthz    -> ok
package main

import (
	"crypto/sha256"
	"encoding/json"
	"flag"
	"log"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// A single request may not hold a thread for longer than this.
const maxWorkMS = 1000

// RUSAGE_THREAD from <sys/resource.h>; the syscall package only names SELF and CHILDREN.
const rusageThread = 1

func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		// Without per-thread accounting, fall back to the process's: busier but still bounded.
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// burn hashes in a loop until ms milliseconds of this thread's CPU time have passed, as app.py's
// burn does with the process's; per thread, because Go serves requests in parallel.
func burn(ms float64) int {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	deadline := threadCPU() + time.Duration(ms*float64(time.Millisecond))
	digest := []byte("pyexporter")
	iterations := 0
	for threadCPU() < deadline {
		for i := 0; i < 200; i++ {
			sum := sha256.Sum256(digest)
			digest = sum[:]
		}
		iterations += 200
	}
	return iterations
}

func writeJSON(w http.ResponseWriter, value any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if err := json.NewEncoder(w).Encode(value); err != nil {
		log.Printf("writing response: %v", err)
	}
}

// getOnly answers 405 to anything but GET and HEAD, as aiohttp's GET routes do.
func getOnly(handler http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET,HEAD")
			http.Error(w, "405: Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		handler(w, r)
	}
}

func helloWorld(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]string{"message": "Hello World!"})
}

func work(w http.ResponseWriter, r *http.Request) {
	ms := 20.0
	if text := r.URL.Query().Get("ms"); text != "" {
		parsed, err := strconv.ParseFloat(text, 64)
		if err != nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte("ms must be a number\n"))
			return
		}
		ms = parsed
	}
	if ms < 0 || ms != ms { // NaN counts as nothing to do
		ms = 0
	}
	if ms > maxWorkMS {
		ms = maxWorkMS
	}
	writeJSON(w, map[string]any{"ms": ms, "iterations": burn(ms)})
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func main() {
	host := flag.String("host", "0.0.0.0", "address to listen on")
	port := flag.Int("port", 8888, "port to listen on")
	flag.Parse()

	mux := http.NewServeMux()
	mux.HandleFunc("/helloWorld", getOnly(helloWorld))
	mux.HandleFunc("/work", getOnly(work))
	mux.HandleFunc("/healthz", getOnly(healthz))

	server := &http.Server{
		Addr:              net.JoinHostPort(*host, strconv.Itoa(*port)),
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Printf("demo API listening on %s", server.Addr)
	log.Fatal(server.ListenAndServe())
}

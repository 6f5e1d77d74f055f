// The demo API in Go, with the same endpoints as ../demo-api/app.py, from the standard library only:
//
//	demo-api [--host 0.0.0.0] [--port 8888]
//
//	GET /helloWorld  -> {"message": "Hello World!"}
//	GET /work?ms=20  -> burns about MS milliseconds of CPU, then {"ms": ..., "iterations": ...}
//	GET /alloc?mb=64 -> a child process allocates and touches MB MiB, holds them MS milliseconds
//	                    (&ms=, default 0), and exits; then {"mb": ..., "ms": ..., "killed": ...}
//	GET /healthz     -> ok
//
// /alloc is for memory limits: past the container's limit (compose.yml gives the server 256 MiB
// and no swap), the kernel's OOM killer kills the child, which asks to be its first choice
// (oom_score_adj 1000), and the answer says "killed": true. The API itself stays up, and the
// container's cgroup counts the OOM kill (memory.oom_control's oom_kill on cgroup v1,
// memory.events' oom_kill on v2), which the sidecar reports as container_oom_events_total. The
// child is this binary again: `demo-api -alloc-child MB -hold-ms MS`.
package main

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

const (
	// A single request may not hold a thread for longer than this.
	maxWorkMS = 1000
	// /alloc's bounds: enough to pass any demo limit, not enough to trouble a host without one.
	maxAllocMB = 1024
	maxHoldMS  = 10000
	mib        = 1 << 20
	pageSize   = 4096
)

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

// queryNumber is the query parameter NAME (DEFAULT when absent) clamped to [0, HIGH]; false, after
// answering 400, when it is not a number.
func queryNumber(w http.ResponseWriter, r *http.Request, name string, defaultValue, high float64) (float64, bool) {
	value := defaultValue
	if text := r.URL.Query().Get(name); text != "" {
		parsed, err := strconv.ParseFloat(text, 64)
		if err != nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(name + " must be a number\n"))
			return 0, false
		}
		value = parsed
	}
	if value < 0 || value != value { // NaN counts as nothing to do
		value = 0
	}
	if value > high {
		value = high
	}
	return value, true
}

func work(w http.ResponseWriter, r *http.Request) {
	ms, ok := queryNumber(w, r, "ms", 20, maxWorkMS)
	if !ok {
		return
	}
	writeJSON(w, map[string]any{"ms": ms, "iterations": burn(ms)})
}

// alloc runs allocChild in a child process (this binary again), so that an OOM kill takes the
// child and never the API.
func alloc(w http.ResponseWriter, r *http.Request) {
	mb, ok := queryNumber(w, r, "mb", 64, maxAllocMB)
	if !ok {
		return
	}
	ms, ok := queryNumber(w, r, "ms", 0, maxHoldMS)
	if !ok {
		return
	}
	self, err := os.Executable()
	if err != nil {
		self = "/proc/self/exe"
	}
	child := exec.Command(self, "-alloc-child", strconv.Itoa(int(mb)), "-hold-ms", strconv.FormatFloat(ms, 'f', -1, 64))
	killed := false
	if err := child.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			status, isWait := exitErr.Sys().(syscall.WaitStatus)
			killed = isWait && status.Signaled() && status.Signal() == syscall.SIGKILL
		}
		if !killed {
			http.Error(w, fmt.Sprintf("the allocating child failed: %v", err), http.StatusInternalServerError)
			return
		}
	}
	writeJSON(w, map[string]any{"mb": int(mb), "ms": ms, "killed": killed})
}

// allocChild allocates mb MiB and writes to every page, so that all of it is resident, and holds
// it holdMS milliseconds.
func allocChild(mb int, holdMS float64) {
	// Raising one's own score needs no privilege: the OOM killer picks this process first.
	_ = os.WriteFile("/proc/self/oom_score_adj", []byte("1000"), 0)
	chunks := make([][]byte, 0, mb)
	for i := 0; i < mb; i++ {
		chunk := make([]byte, mib)
		for offset := 0; offset < len(chunk); offset += pageSize {
			chunk[offset] = 1
		}
		chunks = append(chunks, chunk)
	}
	time.Sleep(time.Duration(holdMS * float64(time.Millisecond)))
	runtime.KeepAlive(chunks)
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func main() {
	host := flag.String("host", "0.0.0.0", "address to listen on")
	port := flag.Int("port", 8888, "port to listen on")
	allocMB := flag.Int("alloc-child", -1, "internal: be /alloc's child, allocating this many MiB")
	holdMS := flag.Float64("hold-ms", 0, "internal: how long /alloc's child holds its memory")
	flag.Parse()
	if *allocMB >= 0 {
		allocChild(*allocMB, *holdMS)
		return
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/helloWorld", getOnly(helloWorld))
	mux.HandleFunc("/work", getOnly(work))
	mux.HandleFunc("/alloc", getOnly(alloc))
	mux.HandleFunc("/healthz", getOnly(healthz))

	server := &http.Server{
		Addr:              net.JoinHostPort(*host, strconv.Itoa(*port)),
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Printf("demo API listening on %s", server.Addr)
	log.Fatal(server.ListenAndServe())
}

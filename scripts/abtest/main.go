// Command abtest compares two builds of ipctrace on one command line: it
// runs them alternately, each round both (A first in even rounds, B first
// in odd ones), and prints the median and quartiles of the per-round ratios
// B/A of wall and CPU time (README "Performance"). On a shared host whose
// speed drifts within minutes, the ratio of two runs made back to back
// moves much less than either time; still, a difference below the spread
// printed is not one.
//
//	go build -o /tmp/a ./cmd/ipctrace   # before the change
//	go build -o /tmp/b ./cmd/ipctrace   # after it
//	go run ./scripts/abtest -n 25 /tmp/a /tmp/b report -o json FILE
//
// The runs' output is discarded. Wall time is measured around each run,
// CPU time (user and system) is the run's own, from the operating system.
// Both builds must exit with the same code, printed when it is not 0 (the
// times are then those of a failing command); a run that cannot start or
// is killed stops abtest.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/ipctrace/ipctrace/internal/termsafe"
)

func main() {
	n := flag.Int("n", 15, "rounds (each runs both builds once)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: abtest [-n rounds] BIN_A BIN_B ARGS...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 2 || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	a, b, args := flag.Arg(0), flag.Arg(1), flag.Args()[2:]
	var wall, cpu, wallA, wallB []float64
	exit := 0
	for i := range *n {
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		r1, err := run(first, args)
		if err != nil {
			fail(err)
		}
		r2, err := run(second, args)
		if err != nil {
			fail(err)
		}
		ra, rb := r1, r2
		if i%2 == 1 {
			ra, rb = r2, r1
		}
		if ra.exit != rb.exit {
			fail(fmt.Errorf("round %d: %s exited %d, %s exited %d", i+1, a, ra.exit, b, rb.exit))
		}
		exit = ra.exit
		wall = append(wall, rb.wall/ra.wall)
		cpu = append(cpu, rb.cpu/ra.cpu)
		wallA, wallB = append(wallA, ra.wall), append(wallB, rb.wall)
	}
	fmt.Printf("rounds %d; wall A %.3f s, B %.3f s (medians)", *n, quartiles(wallA)[1], quartiles(wallB)[1])
	if exit != 0 {
		fmt.Printf("; both exited %d", exit)
	}
	fmt.Println()
	for _, r := range []struct {
		name string
		v    []float64
	}{{"wall", wall}, {"cpu", cpu}} {
		q := quartiles(r.v)
		fmt.Printf("B/A %-4s median %.3f  (quartiles %.3f to %.3f)\n", r.name, q[1], q[0], q[2])
	}
}

// result is one run's times and exit code.
type result struct {
	wall, cpu float64 // seconds
	exit      int
}

// run runs bin with args once. An exit code is a result, not an error;
// the error is a run that could not start or was killed.
func run(bin string, args []string) (result, error) {
	c := exec.Command(bin, args...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	start := time.Now()
	err := c.Run()
	r := result{wall: time.Since(start).Seconds()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.exit = ee.ExitCode()
	default:
		if stderr.Len() == 0 {
			return r, fmt.Errorf("%s: %v", bin, err)
		}
		return r, fmt.Errorf("%s: %v\n%s", bin, err, termsafe.Text(stderr.String()))
	}
	r.cpu = (c.ProcessState.UserTime() + c.ProcessState.SystemTime()).Seconds()
	return r, nil
}

// quartiles returns the first quartile, the median and the third quartile
// of v (nearest rank).
func quartiles(v []float64) [3]float64 {
	s := slices.Sorted(slices.Values(v))
	at := func(p float64) float64 { return s[int(p*float64(len(s)-1)+0.5)] }
	return [3]float64{at(0.25), at(0.5), at(0.75)}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "abtest:", err)
	os.Exit(1)
}

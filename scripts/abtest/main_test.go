package main

import (
	"os"
	"strconv"
	"testing"
)

// TestMain lets the test binary stand in for a build under test: with
// ABTEST_EXIT set it exits with that code at once.
func TestMain(m *testing.M) {
	if code := os.Getenv("ABTEST_EXIT"); code != "" {
		n, _ := strconv.Atoi(code)
		os.Exit(n)
	}
	os.Exit(m.Run())
}

func TestQuartiles(t *testing.T) {
	for _, c := range []struct {
		v    []float64
		want [3]float64
	}{
		{[]float64{1}, [3]float64{1, 1, 1}},
		{[]float64{5, 1, 3, 2, 4}, [3]float64{2, 3, 4}},
		{[]float64{0.9, 1.1, 1.0, 1.2, 0.8, 1.05, 0.95, 1.0, 1.0}, [3]float64{0.95, 1.0, 1.05}},
	} {
		if got := quartiles(c.v); got != c.want {
			t.Errorf("quartiles(%v) = %v, want %v", c.v, got, c.want)
		}
	}
}

// TestRunExitCode checks that an exit code is a result, with times, and
// a binary that cannot start an error.
func TestRunExitCode(t *testing.T) {
	t.Setenv("ABTEST_EXIT", "3")
	r, err := run(os.Args[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.exit != 3 || r.wall <= 0 {
		t.Errorf("run = %+v, want exit 3 and a wall time", r)
	}
	if _, err := run(t.TempDir()+"/missing", nil); err == nil {
		t.Error("a missing binary ran")
	}
}

// Package shared locates the project's shared test material (../shared beside
// the repository: the real .etl corpus with its truth files, and kernel payload
// vectors). Tests read it in place and never copy it into the repository.
package shared

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the path of the shared folder: $IPCTRACE_SHARED if set, else
// "../shared" beside the repository root (the directory holding go.mod).
func Dir() (string, bool) {
	if d := os.Getenv("IPCTRACE_SHARED"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, true
		}
		return "", false
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			s := filepath.Join(filepath.Dir(d), "shared")
			if st, err := os.Stat(s); err == nil && st.IsDir() {
				return s, true
			}
			return "", false
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// Path returns the path of elem inside the shared folder, or skips the test
// with a clear message when the folder or the element is absent.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	d, ok := Dir()
	if !ok {
		t.Skip("../shared not found beside the repository (set IPCTRACE_SHARED): skipping test on real corpus/vectors")
	}
	p := filepath.Join(append([]string{d}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not found: skipping", p)
	}
	return p
}

// CorpusFiles returns the .etl files of ../shared/corpus, or skips the test.
func CorpusFiles(t testing.TB) []string {
	t.Helper()
	dir := Path(t, "corpus")
	m, err := filepath.Glob(filepath.Join(dir, "*.etl"))
	if err != nil || len(m) == 0 {
		t.Skipf("no .etl files in %s", dir)
	}
	return m
}

// BenchEnv is the environment variable naming a trace for the *Env
// benchmarks, which profile on a large trace of the user's choosing.
const BenchEnv = "IPCTRACE_BENCH_ETL"

// BenchTrace returns the trace named by $IPCTRACE_BENCH_ETL, with
// b.SetBytes set to its size and allocations reported; it skips b when the
// variable is unset.
func BenchTrace(b *testing.B) string {
	b.Helper()
	path := os.Getenv(BenchEnv)
	if path == "" {
		b.Skip(BenchEnv + " not set")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	return path
}

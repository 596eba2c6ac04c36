package fleet

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/report"
	"github.com/ipctrace/ipctrace/synth"
)

var update = flag.Bool("update", false, "rewrite testdata/schema.txt from the tables")

// testOpt reports every owed wait still open at the end (the synth
// traces are shorter than the default threshold of report).
var testOpt = correlate.Options{StuckAfter: 0}

// genTraces writes every synth scenario into dir and returns the paths.
func genTraces(t testing.TB, dir string, names []string, seed uint64) []string {
	t.Helper()
	var paths []string
	for i, name := range names {
		p := filepath.Join(dir, fmt.Sprintf("%03d-%s.etl", i, name))
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := synth.Generate(name, f, synth.Options{Seed: seed + uint64(i)}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// tsVal is a timestamp cell: microseconds since 1970 UTC.
type tsVal int64

// cell converts one Arrow value into plain Go values: int64, float64,
// bool, string, tsVal, nil (null), []any, map[string]any.
func cell(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Timestamp:
		return tsVal(a.Value(i))
	case *array.Map:
		out := map[string]any{}
		keys, items := a.Keys(), a.Items()
		lo, hi := a.ValueOffsets(i)
		for j := lo; j < hi; j++ {
			out[cell(keys, int(j)).(string)] = cell(items, int(j))
		}
		return out
	case *array.List:
		out := []any{}
		lo, hi := a.ValueOffsets(i)
		for j := lo; j < hi; j++ {
			out = append(out, cell(a.ListValues(), int(j)))
		}
		return out
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		out := map[string]any{}
		for k, f := range st.Fields() {
			out[f.Name] = cell(a.Field(k), i)
		}
		return out
	}
	panic(fmt.Sprintf("cell: type %s not handled", a.DataType()))
}

// expect converts a JSON value (nil when the field is left out) into the
// value the column of type dt must hold: the zero value for a left-out
// field, null for a "" time.
func expect(t *testing.T, where string, dt arrow.DataType, v any) any {
	switch dt := dt.(type) {
	case *arrow.Int64Type:
		f, _ := v.(float64)
		return int64(f)
	case *arrow.Float64Type:
		f, _ := v.(float64)
		return f
	case *arrow.BooleanType:
		b, _ := v.(bool)
		return b
	case *arrow.StringType:
		s, _ := v.(string)
		return s
	case *arrow.TimestampType:
		s, _ := v.(string)
		if s == "" {
			return nil
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return nil
		}
		return tsVal(tm.UnixMicro())
	case *arrow.MapType:
		out := map[string]any{}
		m, _ := v.(map[string]any)
		for k, x := range m {
			out[k] = expect(t, where+"."+k, dt.ItemType(), x)
		}
		return out
	case *arrow.ListType:
		out := []any{}
		l, _ := v.([]any)
		for k, x := range l {
			out = append(out, expect(t, fmt.Sprintf("%s[%d]", where, k), dt.Elem(), x))
		}
		return out
	case *arrow.StructType:
		m, _ := v.(map[string]any)
		out := map[string]any{}
		for _, f := range dt.Fields() {
			out[f.Name] = expect(t, where+"."+f.Name, f.Type, m[f.Name])
		}
		for k := range m {
			if _, ok := dt.FieldIdx(k); !ok && k != "ns" {
				t.Errorf("%s: JSON field %q has no struct field", where, k)
			}
		}
		return out
	}
	t.Fatalf("%s: type %s not handled", where, dt)
	return nil
}

// notColumns are JSON Lines fields that are not columns: "kind" is the
// file itself, "ns" is a provenance column, the others describe a
// rendering (report's view) or several files at once.
var notColumns = map[string]bool{"kind": true, "ns": true, "ipc": true, "files": true, "namespaces": true,
	"filter": true, "processes_shown": true, "lossy_windows_merged": true}

// kindTable maps a JSON Lines kind to its table.
var kindTable = map[string]string{
	report.KindTrace: "trace", report.KindProcess: "processes", report.KindPipe: "pipes",
	report.KindALPC: "alpc", report.KindRPC: "rpc", report.KindSection: "sections",
	report.KindStuck: "stuck", report.KindIdle: "idle", report.KindDeadlock: "deadlocks",
	report.KindSecurity: "security", report.KindWindowMessages: "window_messages",
	report.KindPostedQueue: "posted_queues", report.KindHungPump: "hung_pumps", report.KindCOM: "com",
	report.KindMailslot: "mailslots",
}

// jsonRows runs the JSON Lines report of path and returns its rows per
// table (warnings folded into the trace row as "warnings").
func jsonRows(t *testing.T, path string) map[string][]map[string]any {
	t.Helper()
	m, err := correlate.AnalyzeFiles([]string{path}, testOpt)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.JSONL(&buf, m); err != nil {
		t.Fatal(err)
	}
	rows := map[string][]map[string]any{}
	var warnings []any
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var o map[string]any
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatal(err)
		}
		k := o["kind"].(string)
		if k == report.KindWarning {
			warnings = append(warnings, o["message"])
			continue
		}
		tb, ok := kindTable[k]
		if !ok {
			t.Errorf("%s: JSON Lines kind %q has no table", path, k)
			continue
		}
		rows[tb] = append(rows[tb], o)
	}
	rows["trace"][0]["warnings"] = warnings
	rows["deadlocks"] = numberCycles(rows["deadlocks"])
	return rows
}

func numberCycles(rows []map[string]any) []map[string]any {
	for i, r := range rows {
		r["cycle_id"] = float64(i + 1)
	}
	return rows
}

// readTable reads a table file back with the library's reader.
func readTable(t *testing.T, path string) arrow.Table {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tbl, err := pqarrow.ReadTable(context.Background(), f, nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tbl
}

// tableRows returns the rows of tbl as column name → cell maps.
func tableRows(tbl arrow.Table) []map[string]any {
	rows := make([]map[string]any, tbl.NumRows())
	for i := range rows {
		rows[i] = map[string]any{}
	}
	for c := 0; c < int(tbl.NumCols()); c++ {
		col := tbl.Column(c)
		r := 0
		for _, ch := range col.Data().Chunks() {
			for i := 0; i < ch.Len(); i++ {
				rows[r][col.Name()] = cell(ch, i)
				r++
			}
		}
	}
	return rows
}

// TestScenarios writes every synth scenario to one dataset and checks,
// table by table, that the read-back rows equal the JSON Lines report of
// each file: same rows in the same order, every JSON field a column, every
// value equal (times to the microsecond).
func TestScenarios(t *testing.T) {
	dir := t.TempDir()
	paths := genTraces(t, dir, synth.Scenarios, 1)
	out := filepath.Join(dir, "out")
	sum, err := Run(out, paths, Options{Analysis: testOpt, Machine: "host7", Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != len(paths) || len(sum.Skipped) != 0 {
		t.Fatalf("files %d skipped %v, want %d and none", sum.Files, sum.Skipped, len(paths))
	}
	got := map[string][]map[string]any{}
	schemas := map[string]*arrow.Schema{}
	for _, name := range Tables() {
		tbl := readTable(t, filepath.Join(out, name+".parquet"))
		schemas[name] = tbl.Schema()
		got[name] = tableRows(tbl)
		if n := sum.Rows[name+".parquet"]; n != tbl.NumRows() {
			t.Errorf("%s: Summary.Rows %d, file has %d", name, n, tbl.NumRows())
		}
		tbl.Release()
	}
	nonEmpty := map[string]bool{}
	for i, p := range paths {
		want := jsonRows(t, p)
		for _, name := range Tables() {
			var mine []map[string]any
			for _, r := range got[name] {
				if r["file"] == p {
					mine = append(mine, r)
				}
			}
			if len(mine) != len(want[name]) {
				t.Errorf("%s %s: %d rows, JSON has %d", filepath.Base(p), name, len(mine), len(want[name]))
				continue
			}
			if len(mine) > 0 {
				nonEmpty[name] = true
			}
			sch := schemas[name]
			for j, w := range want[name] {
				g := mine[j]
				where := fmt.Sprintf("%s %s row %d", filepath.Base(p), name, j)
				prov := map[string]any{"machine": "host7", "file": p, "ns": int64(i + 1),
					"trace_start": expect(t, where, tsType, want["trace"][0]["start"])}
				flat := flatten(w, sch)
				for k := range flat {
					if _, ok := sch.FieldsByName(k); !ok && !notColumns[k] {
						t.Errorf("%s: JSON field %q has no column", where, k)
					}
				}
				for _, f := range sch.Fields() {
					var e any
					if v, ok := prov[f.Name]; ok {
						e = v
					} else {
						e = expect(t, where+" "+f.Name, f.Type, flat[f.Name])
					}
					if !reflect.DeepEqual(g[f.Name], e) {
						t.Errorf("%s: %s = %#v, JSON gives %#v", where, f.Name, g[f.Name], e)
					}
				}
			}
		}
	}
	// The scenarios exercise every table, so every column's conversion was compared.
	for _, name := range Tables() {
		if !nonEmpty[name] {
			t.Errorf("no scenario has %s rows: that table is untested", name)
		}
	}
	checkSchema(t, schemas)
}

// flatten lifts the members of JSON objects that are not columns
// themselves ("latency_us": {"p50": …}) to "latency_us_p50".
func flatten(o map[string]any, sch *arrow.Schema) map[string]any {
	out := map[string]any{}
	for k, v := range o {
		sub, isObj := v.(map[string]any)
		if _, col := sch.FieldsByName(k); col || !isObj {
			out[k] = v
			continue
		}
		for sk, sv := range sub {
			out[k+"_"+sk] = sv
		}
	}
	return out
}

// checkSchema compares the read-back schema with testdata/schema.txt (the
// schema only grows: a changed or missing line fails), checks the Parquet
// logical types of times and the version key, and that docs/parquet.md
// names every column.
func checkSchema(t *testing.T, schemas map[string]*arrow.Schema) {
	var b strings.Builder
	for _, name := range Tables() {
		for _, f := range schemas[name].Fields() {
			fmt.Fprintf(&b, "%s.%s %s\n", name, f.Name, f.Type)
		}
	}
	const golden = "testdata/schema.txt"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	have := strings.Split(b.String(), "\n")
	for _, line := range strings.Split(strings.TrimSpace(string(old)), "\n") {
		if !slices.Contains(have, line) {
			t.Errorf("column %q of %s is gone or changed: columns are only ever added (docs/parquet.md#versions)", line, golden)
		}
	}
	if b.String() != string(old) {
		t.Errorf("the schema has new columns: add them to docs/parquet.md, bump SchemaVersion and run go test -update")
	}
	doc, err := os.ReadFile("../docs/parquet.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Tables() {
		sec := docSection(string(doc), name)
		if sec == "" {
			t.Errorf("docs/parquet.md has no section for table %s", name)
			continue
		}
		for _, f := range schemas[name].Fields()[len(provenance):] {
			if !strings.Contains(sec, "`"+f.Name+"`") && !strings.Contains(sec, "`"+summaryPrefix(f.Name)+"`") {
				t.Errorf("docs/parquet.md, table %s: column %s is not described", name, f.Name)
			}
		}
	}
	for _, f := range provenance {
		if !strings.Contains(docSection(string(doc), "provenance"), "`"+f.Name+"`") {
			t.Errorf("docs/parquet.md: provenance column %s is not described", f.Name)
		}
	}
}

// summaryPrefix is "latency_us" for "latency_us_p50" (a flattened
// latency summary, documented once), else "".
func summaryPrefix(name string) string {
	for _, suf := range []string{"_count", "_p50", "_p90", "_p99", "_max", "_mean", "_approx"} {
		if p, ok := strings.CutSuffix(name, suf); ok {
			return p
		}
	}
	return "\x00"
}

// docSection is the text of the "### name" section of doc.
func docSection(doc, name string) string {
	i := strings.Index(doc, "\n### "+name+"\n")
	if i < 0 {
		i = strings.Index(doc, "\n## "+strings.ToUpper(name[:1])+name[1:]+"\n")
		if i < 0 {
			return ""
		}
	}
	rest := doc[i+1:]
	if j := strings.Index(rest[4:], "\n#"); j >= 0 {
		return rest[:j+4]
	}
	return rest
}

// TestParquetTypes checks what other engines see: the Parquet logical
// types of a time, a PID and a latency, and the schema version key.
func TestParquetTypes(t *testing.T) {
	dir := t.TempDir()
	paths := genTraces(t, dir, []string{"pipe-stuck-read"}, 1)
	out := filepath.Join(dir, "out")
	if _, err := Run(out, paths, Options{Analysis: testOpt}); err != nil {
		t.Fatal(err)
	}
	r, err := file.OpenParquetFile(filepath.Join(out, "stuck.parquet"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	md := r.MetaData()
	if v := md.KeyValueMetadata().FindValue(SchemaVersionKey); v == nil || *v != fmt.Sprint(SchemaVersion) {
		t.Errorf("%s = %v, want %d", SchemaVersionKey, v, SchemaVersion)
	}
	if md.NumRows == 0 {
		t.Fatal("no stuck rows in pipe-stuck-read")
	}
	col := func(name string) *schema.Column {
		i := md.Schema.ColumnIndexByName(name)
		if i < 0 {
			t.Fatalf("no column %s", name)
		}
		return md.Schema.Column(i)
	}
	since := col("since").LogicalType()
	tl, ok := since.(schema.TimestampLogicalType)
	if !ok || !tl.IsAdjustedToUTC() || tl.TimeUnit() != schema.TimeUnitMicros {
		t.Errorf("since: %s, want Timestamp(isAdjustedToUTC=true, MICROS)", since)
	}
	if pt := col("pid").PhysicalType().String(); pt != "INT64" {
		t.Errorf("pid: %s, want INT64", pt)
	}
	if pt := col("waited_us").PhysicalType().String(); pt != "DOUBLE" {
		t.Errorf("waited_us: %s, want DOUBLE", pt)
	}
}

// TestDamagedSkipped: an unreadable file, a missing one and a readable
// but damaged one among good files. The first two are named and skipped;
// the others are written, each with its namespace (its place in the run).
func TestDamagedSkipped(t *testing.T) {
	dir := t.TempDir()
	good := genTraces(t, dir, []string{"pipe-pingpong", "alpc-rpc", "pipe-stuck-read"}, 5)
	junk := filepath.Join(dir, "junk.etl")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("not a trace "), 700), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.etl")
	// A good trace with its second half cut off: readable, with warnings.
	data, err := os.ReadFile(good[2])
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.etl")
	if err := os.WriteFile(cut, data[:len(data)/2+100], 0o644); err != nil {
		t.Fatal(err)
	}
	paths := []string{good[0], junk, good[1], missing, cut}
	out := filepath.Join(dir, "out")
	sum, err := Run(out, paths, Options{Analysis: testOpt, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 3 {
		t.Errorf("files written %d, want 3", sum.Files)
	}
	var skipped []string
	for _, s := range sum.Skipped {
		skipped = append(skipped, s.Path)
		if !strings.HasPrefix(s.Error(), s.Path+": ") {
			t.Errorf("skip message %q does not start with the file", s.Error())
		}
	}
	if !slices.Equal(skipped, []string{junk, missing}) {
		t.Errorf("skipped %q, want junk.etl and missing.etl", skipped)
	}
	tbl := readTable(t, filepath.Join(out, "trace.parquet"))
	defer tbl.Release()
	rows := tableRows(tbl)
	var files []string
	var ns []int64
	for _, r := range rows {
		files = append(files, r["file"].(string))
		ns = append(ns, r["ns"].(int64))
		if r["machine"] != filepath.Base(r["file"].(string)) {
			t.Errorf("machine %q, want the file's base name", r["machine"])
		}
	}
	if !slices.Equal(files, []string{good[0], good[1], cut}) || !slices.Equal(ns, []int64{1, 3, 5}) {
		t.Errorf("trace rows %q ns %v, want the readable files in order with ns 1 3 5", files, ns)
	}
	if len(rows) == 3 && len(rows[2]["warnings"].([]any)) == 0 {
		t.Errorf("the cut file has no warnings in its trace row")
	}
}

// TestDeterministic: the dataset does not depend on the number of workers.
func TestDeterministic(t *testing.T) {
	dir := t.TempDir()
	paths := genTraces(t, dir, synth.Scenarios[:8], 3)
	var first map[string][]byte
	for _, workers := range []int{1, 4} {
		out := filepath.Join(dir, fmt.Sprint("out", workers))
		if _, err := Run(out, paths, Options{Analysis: testOpt, Workers: workers}); err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		for _, name := range Tables() {
			b, err := os.ReadFile(filepath.Join(out, name+".parquet"))
			if err != nil {
				t.Fatal(err)
			}
			files[name] = b
		}
		if first == nil {
			first = files
			continue
		}
		for name, b := range files {
			if !bytes.Equal(b, first[name]) {
				t.Errorf("%s.parquet differs between 1 and %d workers", name, workers)
			}
		}
	}
}

package fleet

import (
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ipctrace/ipctrace/internal/latency"
	"github.com/ipctrace/ipctrace/model"
)

// column is one Parquet column of the rows of type T: its name (the JSON
// field name, docs/parquet.md), its Arrow type, and how a row's value is
// appended to the column's builder.
type column[T any] struct {
	name string
	typ  arrow.DataType
	put  func(b array.Builder, r *T)
}

// Types of the columns. Timestamps are UTC microseconds (docs/parquet.md#types).
var (
	tsType      = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	int64Type   = arrow.PrimitiveTypes.Int64
	float64Type = arrow.PrimitiveTypes.Float64
	stringType  = arrow.BinaryTypes.String
	boolType    = arrow.FixedWidthTypes.Boolean
)

// filetimeUnixEpoch is 1970-01-01 in FILETIME ticks (100 ns since 1601).
const filetimeUnixEpoch = 116444736000000000

// micros converts a FILETIME to microseconds since 1970, rounding down
// (the 100 ns digit of the JSON form is dropped).
func micros(t model.Time) arrow.Timestamp {
	d := int64(t) - filetimeUnixEpoch
	q := d / 10
	if d%10 < 0 {
		q--
	}
	return arrow.Timestamp(q)
}

func putTime(b array.Builder, t model.Time) {
	tb := b.(*array.TimestampBuilder)
	if t.IsZero() {
		tb.AppendNull() // "" in JSON: not known
		return
	}
	tb.Append(micros(t))
}

func str[T any](name string, f func(*T) string) column[T] {
	return column[T]{name, stringType, func(b array.Builder, r *T) { b.(*array.StringBuilder).Append(f(r)) }}
}

type integer interface {
	~int | ~int32 | ~int64 | ~uint16 | ~uint32 | ~uint64
}

// i64 is an integer column (PIDs, TIDs, counts): INT64 in every case, so
// that unsigned 32-bit values fit and every engine reads it.
func i64[T any, N integer](name string, f func(*T) N) column[T] {
	return column[T]{name, int64Type, func(b array.Builder, r *T) { b.(*array.Int64Builder).Append(int64(f(r))) }}
}

func f64[T any](name string, f func(*T) float64) column[T] {
	return column[T]{name, float64Type, func(b array.Builder, r *T) { b.(*array.Float64Builder).Append(f(r)) }}
}

func boolean[T any](name string, f func(*T) bool) column[T] {
	return column[T]{name, boolType, func(b array.Builder, r *T) { b.(*array.BooleanBuilder).Append(f(r)) }}
}

// ts is a timestamp column, null where the model's time is zero.
func ts[T any](name string, f func(*T) model.Time) column[T] {
	return column[T]{name, tsType, func(b array.Builder, r *T) { putTime(b, f(r)) }}
}

// summary flattens a latency summary into prefix_count, prefix_p50, …
// (JSON "prefix": {"count": …, "p50": …}).
func summary[T any](prefix string, f func(*T) *latency.Summary) []column[T] {
	return []column[T]{
		i64(prefix+"_count", func(r *T) int64 { return f(r).Count }),
		f64(prefix+"_p50", func(r *T) float64 { return f(r).P50 }),
		f64(prefix+"_p90", func(r *T) float64 { return f(r).P90 }),
		f64(prefix+"_p99", func(r *T) float64 { return f(r).P99 }),
		f64(prefix+"_max", func(r *T) float64 { return f(r).Max }),
		f64(prefix+"_mean", func(r *T) float64 { return f(r).Mean }),
		boolean(prefix+"_approx", func(r *T) bool { return f(r).Approx }),
	}
}

// flow flattens a model.Flow into prefix_ops and prefix_bytes.
func flow[T any](prefix string, f func(*T) *model.Flow) []column[T] {
	return []column[T]{
		i64(prefix+"_ops", func(r *T) int64 { return f(r).Ops }),
		i64(prefix+"_bytes", func(r *T) int64 { return f(r).Bytes }),
	}
}

func strList[T any](name string, f func(*T) []string) column[T] {
	return column[T]{name, arrow.ListOf(stringType), func(b array.Builder, r *T) {
		lb := b.(*array.ListBuilder)
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.StringBuilder)
		for _, s := range f(r) {
			vb.Append(s)
		}
	}}
}

func i64List[T any](name string, f func(*T) []uint32) column[T] {
	return column[T]{name, arrow.ListOf(int64Type), func(b array.Builder, r *T) {
		lb := b.(*array.ListBuilder)
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.Int64Builder)
		for _, v := range f(r) {
			vb.Append(int64(v))
		}
	}}
}

// countMap is a MAP<STRING, INT64> column, keys in sorted order.
func countMap[T any, N integer](name string, f func(*T) map[string]N) column[T] {
	return column[T]{name, arrow.MapOf(stringType, int64Type), func(b array.Builder, r *T) {
		mb := b.(*array.MapBuilder)
		mb.Append(true)
		m := f(r)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		kb, ib := mb.KeyBuilder().(*array.StringBuilder), mb.ItemBuilder().(*array.Int64Builder)
		for _, k := range keys {
			kb.Append(k)
			ib.Append(int64(m[k]))
		}
	}}
}

// windowType is one model.Window: {start, end, reason}.
var windowType = arrow.StructOf(
	arrow.Field{Name: "start", Type: tsType, Nullable: true},
	arrow.Field{Name: "end", Type: tsType, Nullable: true},
	arrow.Field{Name: "reason", Type: stringType},
)

func windows[T any](name string, f func(*T) []model.Window) column[T] {
	return column[T]{name, arrow.ListOf(windowType), func(b array.Builder, r *T) {
		lb := b.(*array.ListBuilder)
		lb.Append(true)
		sb := lb.ValueBuilder().(*array.StructBuilder)
		for _, w := range f(r) {
			sb.Append(true)
			putTime(sb.FieldBuilder(0), w.Start)
			putTime(sb.FieldBuilder(1), w.End)
			sb.FieldBuilder(2).(*array.StringBuilder).Append(w.Reason)
		}
	}}
}

// waiterFields are the fields of one model.Waiter, in JSON names.
var waiterFields = []arrow.Field{
	{Name: "pid", Type: int64Type},
	{Name: "tid", Type: int64Type},
	{Name: "object", Type: stringType},
	{Name: "mechanism", Type: stringType},
	{Name: "kind", Type: stringType},
	{Name: "waited_us", Type: float64Type},
	{Name: "receiver_tid", Type: int64Type},
	{Name: "receiver_waits", Type: boolType},
}

func waiters[T any](name string, f func(*T) []model.Waiter) column[T] {
	return column[T]{name, arrow.ListOf(arrow.StructOf(waiterFields...)), func(b array.Builder, r *T) {
		lb := b.(*array.ListBuilder)
		lb.Append(true)
		sb := lb.ValueBuilder().(*array.StructBuilder)
		for _, w := range f(r) {
			sb.Append(true)
			sb.FieldBuilder(0).(*array.Int64Builder).Append(int64(w.PID))
			sb.FieldBuilder(1).(*array.Int64Builder).Append(int64(w.TID))
			sb.FieldBuilder(2).(*array.StringBuilder).Append(w.Object)
			sb.FieldBuilder(3).(*array.StringBuilder).Append(w.Mechanism)
			sb.FieldBuilder(4).(*array.StringBuilder).Append(w.Kind)
			sb.FieldBuilder(5).(*array.Float64Builder).Append(w.WaitedUS)
			sb.FieldBuilder(6).(*array.Int64Builder).Append(int64(w.ReceiverTID))
			sb.FieldBuilder(7).(*array.BooleanBuilder).Append(w.ReceiverWaits)
		}
	}}
}

// cols joins single columns and flattened groups into one list.
func cols[T any](groups ...[]column[T]) []column[T] {
	var out []column[T]
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func one[T any](c ...column[T]) []column[T] { return c }

// structList is a LIST<STRUCT> column whose struct fields are the
// columns fs of the element type E.
func structList[T, E any](name string, f func(*T) []E, fs ...column[E]) column[T] {
	fields := make([]arrow.Field, len(fs))
	for i, c := range fs {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: c.typ == arrow.DataType(tsType)}
	}
	return column[T]{name, arrow.ListOf(arrow.StructOf(fields...)), func(b array.Builder, r *T) {
		lb := b.(*array.ListBuilder)
		lb.Append(true)
		sb := lb.ValueBuilder().(*array.StructBuilder)
		es := f(r)
		for i := range es {
			sb.Append(true)
			for k, c := range fs {
				c.put(sb.FieldBuilder(k), &es[i])
			}
		}
	}}
}

package fleet

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ipctrace/ipctrace/internal/latency"
	"github.com/ipctrace/ipctrace/model"
	"github.com/ipctrace/ipctrace/report"
)

// SchemaVersion is the version of the dataset's schema, stored in every
// file's key-value metadata under SchemaVersionKey. It grows when columns
// are added; columns are never renamed or removed (docs/parquet.md#versions).
const (
	SchemaVersion    = 1
	SchemaVersionKey = "ipctrace.schema_version"
)

// Provenance says where a file's rows came from: every row of every
// table starts with these four columns (docs/parquet.md#provenance).
type Provenance struct {
	Machine    string     // "machine": computer name, --machine, or the file's base name
	File       string     // "file": the path as given
	TraceStart model.Time // "trace_start"
	NS         int        // "ns": the file's namespace, its 1-based place in the run
}

// provenance are the leading columns of every table.
var provenance = []arrow.Field{
	{Name: "machine", Type: stringType},
	{Name: "file", Type: stringType},
	{Name: "trace_start", Type: tsType, Nullable: true},
	{Name: "ns", Type: int64Type},
}

// entity is one table: one Parquet file of the dataset.
type entity interface {
	fileName() string
	arrowSchema() *arrow.Schema
	// appendRows appends m's rows to rb and returns how many.
	appendRows(rb *array.RecordBuilder, m *model.Model, p *Provenance) int
}

// table is an entity whose rows are values of type T.
type table[T any] struct {
	name string
	cols []column[T]
	rows func(m *model.Model) []T
	sch  *arrow.Schema
}

func newTable[T any](name string, rows func(*model.Model) []T, cs []column[T]) *table[T] {
	fs := append([]arrow.Field(nil), provenance...)
	for _, c := range cs {
		fs = append(fs, arrow.Field{Name: c.name, Type: c.typ, Nullable: c.typ == arrow.DataType(tsType)})
	}
	md := arrow.NewMetadata([]string{SchemaVersionKey, "ipctrace.table"}, []string{strconv.Itoa(SchemaVersion), name})
	return &table[T]{name: name, cols: cs, rows: rows, sch: arrow.NewSchema(fs, &md)}
}

func (t *table[T]) fileName() string           { return t.name + ".parquet" }
func (t *table[T]) arrowSchema() *arrow.Schema { return t.sch }

func (t *table[T]) appendRows(rb *array.RecordBuilder, m *model.Model, p *Provenance) int {
	rows := t.rows(m)
	for i := range rows {
		rb.Field(0).(*array.StringBuilder).Append(p.Machine)
		rb.Field(1).(*array.StringBuilder).Append(p.File)
		putTime(rb.Field(2), p.TraceStart)
		rb.Field(3).(*array.Int64Builder).Append(int64(p.NS))
		for j, c := range t.cols {
			c.put(rb.Field(len(provenance)+j), &rows[i])
		}
	}
	return len(rows)
}

// traceRow is the one row of the trace table: model.Trace with has_ipc
// and the warnings.
type traceRow struct {
	*model.Trace
	HasIPC   bool
	Warnings []string
}

// cycleRow is one deadlock with its 1-based number within the file.
type cycleRow struct {
	ID int
	*model.Cycle
}

// tables are the dataset's tables, in the order files are listed
// (docs/parquet.md#tables). Column names are the JSON field names; nested
// objects are flattened with "_" (latency_us_p50, to_server_bytes); a
// JSON Lines "kind" moved to "stuck_kind" etc. keeps that name here.
var tables = []entity{
	newTable("trace", func(m *model.Model) []traceRow {
		return []traceRow{{Trace: &m.Trace, HasIPC: report.HasIPC(m), Warnings: m.Warnings}}
	}, cols(
		one(
			ts("start", func(r *traceRow) model.Time { return r.Start }),
			ts("end", func(r *traceRow) model.Time { return r.End }),
			f64("duration_us", func(r *traceRow) float64 { return r.DurationUS }),
			i64("events", func(r *traceRow) int64 { return r.Events }),
			i64("ipc_events", func(r *traceRow) int64 { return r.IPCEvents }),
			i64("events_lost", func(r *traceRow) uint32 { return r.EventsLost }),
			i64("buffers_lost", func(r *traceRow) uint32 { return r.BuffersLost }),
			windows("lossy_windows", func(r *traceRow) []model.Window { return r.LossyWindows }),
			i64("kernel_file_events_ignored", func(r *traceRow) int64 { return r.KernelFileIgnored }),
			i64("lost_event_records", func(r *traceRow) int64 { return r.LostEventRecords }),
			boolean("has_ipc", func(r *traceRow) bool { return r.HasIPC }),
			strList("warnings", func(r *traceRow) []string { return r.Warnings }),
		),
	)),
	newTable("processes", func(m *model.Model) []model.Process { return m.Processes }, one(
		i64("pid", func(r *model.Process) uint32 { return r.PID }),
		i64("parent_pid", func(r *model.Process) uint32 { return r.ParentPID }),
		str("image", func(r *model.Process) string { return r.Image }),
		str("command_line", func(r *model.Process) string { return r.CommandLine }),
		str("user", func(r *model.Process) string { return r.User }),
	)),
	newTable("pipes", func(m *model.Model) []model.Pipe { return m.Pipes }, cols(
		one(
			str("name", func(r *model.Pipe) string { return r.Name }),
			i64("instance", func(r *model.Pipe) int { return r.Instance }),
			i64("server_pid", func(r *model.Pipe) uint32 { return r.ServerPID }),
			i64("client_pid", func(r *model.Pipe) uint32 { return r.ClientPID }),
			str("pairing", func(r *model.Pipe) string { return r.Pairing }),
			f64("confidence", func(r *model.Pipe) float64 { return r.Confidence }),
			boolean("inferred", func(r *model.Pipe) bool { return r.Inferred }),
		),
		flow("to_server", func(r *model.Pipe) *model.Flow { return &r.ToServer }),
		flow("to_client", func(r *model.Pipe) *model.Flow { return &r.ToClient }),
		summary("latency_us", func(r *model.Pipe) *latency.Summary { return &r.Latency }),
		one(
			countMap("failures", func(r *model.Pipe) map[string]int { return r.Failures }),
			boolean("impersonated", func(r *model.Pipe) bool { return r.Impersonated }),
			boolean("lossy", func(r *model.Pipe) bool { return r.Lossy }),
			ts("first", func(r *model.Pipe) model.Time { return r.First }),
			ts("last", func(r *model.Pipe) model.Time { return r.Last }),
			i64("server_tid", func(r *model.Pipe) uint32 { return r.ServerTID }),
			i64("client_tid", func(r *model.Pipe) uint32 { return r.ClientTID }),
			str("server_image", func(r *model.Pipe) string { return r.ServerImage }),
			str("client_image", func(r *model.Pipe) string { return r.ClientImage }),
			str("server_rule", func(r *model.Pipe) string { return r.ServerRule }),
			str("client_rule", func(r *model.Pipe) string { return r.ClientRule }),
		),
		summary("round_trip_us", func(r *model.Pipe) *latency.Summary { return &r.RoundTrip }),
		summary("queue_delay_us", func(r *model.Pipe) *latency.Summary { return &r.QueueDelay }),
		summary("flush_drain_us", func(r *model.Pipe) *latency.Summary { return &r.FlushDrain }),
		summary("connect_wait_us", func(r *model.Pipe) *latency.Summary { return &r.ConnectWait }),
	)),
	newTable("alpc", func(m *model.Model) []model.ALPC { return m.ALPC }, cols(
		one(
			str("port", func(r *model.ALPC) string { return r.Port }),
			i64("client_pid", func(r *model.ALPC) uint32 { return r.ClientPID }),
			i64("server_pid", func(r *model.ALPC) uint32 { return r.ServerPID }),
			i64("calls", func(r *model.ALPC) int64 { return r.Calls }),
			i64("pending", func(r *model.ALPC) int64 { return r.Pending }),
		),
		summary("latency_us", func(r *model.ALPC) *latency.Summary { return &r.Latency }),
		summary("server_time_us", func(r *model.ALPC) *latency.Summary { return &r.ServerTime }),
		one(
			boolean("inferred", func(r *model.ALPC) bool { return r.Inferred }),
			boolean("lossy", func(r *model.ALPC) bool { return r.Lossy }),
			i64("idle_workers", func(r *model.ALPC) int { return r.IdleWorkers }),
			str("client_image", func(r *model.ALPC) string { return r.ClientImage }),
			str("server_image", func(r *model.ALPC) string { return r.ServerImage }),
			ts("first", func(r *model.ALPC) model.Time { return r.First }),
			ts("last", func(r *model.ALPC) model.Time { return r.Last }),
		),
	)),
	newTable("rpc", func(m *model.Model) []model.RPC { return m.RPC }, cols(
		one(
			str("interface", func(r *model.RPC) string { return r.Interface }),
			i64("procnum", func(r *model.RPC) uint32 { return r.ProcNum }),
			str("endpoint", func(r *model.RPC) string { return r.Endpoint }),
			str("protocol", func(r *model.RPC) string { return r.Protocol }),
			i64("client_pid", func(r *model.RPC) uint32 { return r.ClientPID }),
			i64("server_pid", func(r *model.RPC) uint32 { return r.ServerPID }),
			i64("calls", func(r *model.RPC) int64 { return r.Calls }),
			i64("failed", func(r *model.RPC) int64 { return r.Failed }),
		),
		summary("latency_us", func(r *model.RPC) *latency.Summary { return &r.Latency }),
		summary("server_time_us", func(r *model.RPC) *latency.Summary { return &r.ServerTime }),
		one(
			str("interface_name", func(r *model.RPC) string { return r.InterfaceName }),
			str("method", func(r *model.RPC) string { return r.Method }),
			str("transport", func(r *model.RPC) string { return r.Transport }),
		),
	)),
	newTable("sections", func(m *model.Model) []model.Section { return m.Sections }, one(
		str("key", func(r *model.Section) string { return r.Key }),
		str("name", func(r *model.Section) string { return r.Name }),
		i64List("pids", func(r *model.Section) []uint32 { return r.PIDs }),
		i64("views", func(r *model.Section) int64 { return r.Views }),
		i64("bytes", func(r *model.Section) uint64 { return r.Bytes }),
		str("section_kind", func(r *model.Section) string { return r.Kind }),
		ts("first", func(r *model.Section) model.Time { return r.First }),
		ts("last", func(r *model.Section) model.Time { return r.Last }),
		f64("overlap_us", func(r *model.Section) float64 { return r.OverlapUS }),
		i64("open_views", func(r *model.Section) int64 { return r.Open }),
	)),
	newTable("stuck", func(m *model.Model) []model.Stuck { return m.Stuck }, one(
		str("stuck_kind", func(r *model.Stuck) string { return r.Kind }),
		i64("pid", func(r *model.Stuck) uint32 { return r.PID }),
		i64("tid", func(r *model.Stuck) uint32 { return r.TID }),
		str("object", func(r *model.Stuck) string { return r.Object }),
		ts("since", func(r *model.Stuck) model.Time { return r.Since }),
		f64("waited_us", func(r *model.Stuck) float64 { return r.WaitedUS }),
		i64("peer_pid", func(r *model.Stuck) uint32 { return r.PeerPID }),
		i64("peer_tid", func(r *model.Stuck) uint32 { return r.PeerTID }),
		ts("peer_last_activity", func(r *model.Stuck) model.Time { return r.PeerLastActivity }),
		boolean("inferred", func(r *model.Stuck) bool { return r.Inferred }),
		str("detail", func(r *model.Stuck) string { return r.Detail }),
		i64("message_id", func(r *model.Stuck) uint32 { return r.MessageID }),
		str("rule", func(r *model.Stuck) string { return r.Rule }),
		str("evidence", func(r *model.Stuck) string { return r.Evidence }),
	)),
	newTable("idle", func(m *model.Model) []model.Idle { return m.Idle }, one(
		str("idle_kind", func(r *model.Idle) string { return r.Kind }),
		i64("pid", func(r *model.Idle) uint32 { return r.PID }),
		i64("tid", func(r *model.Idle) uint32 { return r.TID }),
		str("object", func(r *model.Idle) string { return r.Object }),
		ts("since", func(r *model.Idle) model.Time { return r.Since }),
		f64("waited_us", func(r *model.Idle) float64 { return r.WaitedUS }),
		str("rule", func(r *model.Idle) string { return r.Rule }),
		str("evidence", func(r *model.Idle) string { return r.Evidence }),
		boolean("inferred", func(r *model.Idle) bool { return r.Inferred }),
		str("image", func(r *model.Idle) string { return r.Image }),
	)),
	newTable("deadlocks", func(m *model.Model) []cycleRow {
		rows := make([]cycleRow, len(m.Deadlocks))
		for i := range m.Deadlocks {
			rows[i] = cycleRow{ID: i + 1, Cycle: &m.Deadlocks[i]}
		}
		return rows
	}, one(
		i64("cycle_id", func(r *cycleRow) int { return r.ID }),
		waiters("cycle", func(r *cycleRow) []model.Waiter { return r.Cycle.Cycle }),
		str("level", func(r *cycleRow) string { return r.Level }),
		boolean("probable", func(r *cycleRow) bool { return r.Probable }),
		str("summary", func(r *cycleRow) string { return r.Summary }),
		boolean("inferred", func(r *cycleRow) bool { return r.Inferred }),
	)),
	newTable("security", func(m *model.Model) []model.Exposed { return m.Security }, one(
		str("object", func(r *model.Exposed) string { return r.Object }),
		str("type", func(r *model.Exposed) string { return r.Type }),
		str("owner", func(r *model.Exposed) string { return r.Owner }),
		str("sddl", func(r *model.Exposed) string { return r.SDDL }),
		strList("exposure", func(r *model.Exposed) []string { return r.Exposure }),
		str("severity", func(r *model.Exposed) string { return r.Severity }),
		str("error", func(r *model.Exposed) string { return r.Error }),
		i64("owner_pid", func(r *model.Exposed) uint32 { return r.OwnerPID }),
		str("owner_name", func(r *model.Exposed) string { return r.OwnerName }),
		i64("ops", func(r *model.Exposed) int64 { return r.Ops }),
		str("summary", func(r *model.Exposed) string { return r.Summary }),
	)),
	newTable("window_messages", func(m *model.Model) []model.WindowMessages { return m.WindowMessages }, cols(
		one(
			i64("sender_pid", func(r *model.WindowMessages) uint32 { return r.SenderPID }),
			i64("sender_tid", func(r *model.WindowMessages) uint32 { return r.SenderTID }),
			i64("receiver_pid", func(r *model.WindowMessages) uint32 { return r.ReceiverPID }),
			i64("receiver_tid", func(r *model.WindowMessages) uint32 { return r.ReceiverTID }),
			str("sender_image", func(r *model.WindowMessages) string { return r.SenderImage }),
			str("receiver_image", func(r *model.WindowMessages) string { return r.ReceiverImage }),
			i64("sent", func(r *model.WindowMessages) int64 { return r.Sent }),
			i64("pending", func(r *model.WindowMessages) int64 { return r.Pending }),
			structList("messages", func(r *model.WindowMessages) []model.MessageCount { return r.Messages },
				i64("message", func(e *model.MessageCount) uint32 { return e.Message }),
				str("name", func(e *model.MessageCount) string { return e.Name }),
				i64("count", func(e *model.MessageCount) int64 { return e.Count }),
			),
		),
		summary("latency_us", func(r *model.WindowMessages) *latency.Summary { return &r.Latency }),
		summary("queue_wait_us", func(r *model.WindowMessages) *latency.Summary { return &r.QueueWait }),
		summary("handler_us", func(r *model.WindowMessages) *latency.Summary { return &r.Handler }),
		one(
			boolean("inferred", func(r *model.WindowMessages) bool { return r.Inferred }),
			ts("first", func(r *model.WindowMessages) model.Time { return r.First }),
			ts("last", func(r *model.WindowMessages) model.Time { return r.Last }),
		),
	)),
	newTable("posted_queues", func(m *model.Model) []model.PostedQueue { return m.PostedQueues }, cols(
		one(
			i64("pid", func(r *model.PostedQueue) uint32 { return r.PID }),
			i64("tid", func(r *model.PostedQueue) uint32 { return r.TID }),
			str("image", func(r *model.PostedQueue) string { return r.Image }),
			i64("retrieved", func(r *model.PostedQueue) int64 { return r.Retrieved }),
			i64("still_queued", func(r *model.PostedQueue) int64 { return r.Queued }),
			i64List("poster_pids", func(r *model.PostedQueue) []uint32 { return r.Posters }),
		),
		summary("queue_delay_us", func(r *model.PostedQueue) *latency.Summary { return &r.QueueDelay }),
		one(
			f64("oldest_queued_us", func(r *model.PostedQueue) float64 { return r.OldestQueuedUS }),
			boolean("inferred", func(r *model.PostedQueue) bool { return r.Inferred }),
		),
	)),
	newTable("hung_pumps", func(m *model.Model) []model.HungPump { return m.HungPumps }, one(
		i64("pid", func(r *model.HungPump) uint32 { return r.PID }),
		i64("tid", func(r *model.HungPump) uint32 { return r.TID }),
		str("event", func(r *model.HungPump) string { return r.Event }),
		str("class_name", func(r *model.HungPump) string { return r.ClassName }),
		str("top_level_class_name", func(r *model.HungPump) string { return r.TopLevel }),
		str("image", func(r *model.HungPump) string { return r.Image }),
		str("image_path", func(r *model.HungPump) string { return r.ImagePath }),
		str("app_user_model_id", func(r *model.HungPump) string { return r.AppUserModelID }),
		i64("reports", func(r *model.HungPump) int64 { return r.Reports }),
		i64("max_delay_ms", func(r *model.HungPump) uint32 { return r.MaxDelayMS }),
		ts("first", func(r *model.HungPump) model.Time { return r.First }),
		ts("last", func(r *model.HungPump) model.Time { return r.Last }),
		boolean("inferred", func(r *model.HungPump) bool { return r.Inferred }),
	)),
	newTable("com", func(m *model.Model) []model.COMCall { return m.COM }, cols(
		one(
			str("com_kind", func(r *model.COMCall) string { return r.Kind }),
			i64("caller_pid", func(r *model.COMCall) uint32 { return r.CallerPID }),
			i64("caller_tid", func(r *model.COMCall) uint32 { return r.CallerTID }),
			i64("target_pid", func(r *model.COMCall) uint32 { return r.TargetPID }),
			i64("target_tid", func(r *model.COMCall) uint32 { return r.TargetTID }),
			str("interface", func(r *model.COMCall) string { return r.Interface }),
			i64("method", func(r *model.COMCall) uint32 { return r.Method }),
			str("interface_name", func(r *model.COMCall) string { return r.InterfaceName }),
			str("method_name", func(r *model.COMCall) string { return r.MethodName }),
			str("caller_image", func(r *model.COMCall) string { return r.CallerImage }),
			str("target_image", func(r *model.COMCall) string { return r.TargetImage }),
			i64("calls", func(r *model.COMCall) int64 { return r.Calls }),
			i64("failed", func(r *model.COMCall) int64 { return r.Failed }),
			countMap("results", func(r *model.COMCall) map[string]int64 { return r.Results }),
		),
		summary("time_us", func(r *model.COMCall) *latency.Summary { return &r.Time }),
		one(
			i64("rpc_joined", func(r *model.COMCall) int64 { return r.RPCJoined }),
			str("rpc_endpoint", func(r *model.COMCall) string { return r.RPCEndpoint }),
			str("rpc_protocol", func(r *model.COMCall) string { return r.RPCProtocol }),
			boolean("inferred", func(r *model.COMCall) bool { return r.Inferred }),
		),
	)),
	newTable("mailslots", func(m *model.Model) []model.Mailslot { return m.Mailslots }, one(
		str("name", func(r *model.Mailslot) string { return r.Name }),
		i64("reader_pid", func(r *model.Mailslot) uint32 { return r.ReaderPID }),
		i64("reader_tid", func(r *model.Mailslot) uint32 { return r.ReaderTID }),
		str("reader_image", func(r *model.Mailslot) string { return r.ReaderImage }),
		structList("writers", func(r *model.Mailslot) []model.MailslotWriter { return r.Writers },
			i64("pid", func(e *model.MailslotWriter) uint32 { return e.PID }),
			str("image", func(e *model.MailslotWriter) string { return e.Image }),
			i64("messages", func(e *model.MailslotWriter) int64 { return e.Messages }),
			i64("bytes", func(e *model.MailslotWriter) int64 { return e.Bytes }),
		),
		i64("messages", func(r *model.Mailslot) int64 { return r.Messages }),
		i64("bytes", func(r *model.Mailslot) int64 { return r.Bytes }),
		i64("reads", func(r *model.Mailslot) int64 { return r.Reads }),
		i64("read_bytes", func(r *model.Mailslot) int64 { return r.ReadBytes }),
		boolean("pending_read", func(r *model.Mailslot) bool { return r.PendingRead }),
		boolean("inferred", func(r *model.Mailslot) bool { return r.Inferred }),
	)),
}

// Tables lists the dataset's table names (each written as NAME.parquet).
func Tables() []string {
	out := make([]string, len(tables))
	for i, t := range tables {
		out[i] = t.fileName()[:len(t.fileName())-len(".parquet")]
	}
	return out
}

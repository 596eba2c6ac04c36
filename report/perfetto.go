package report

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/ipctrace/ipctrace/model"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrNoTimeline is returned by Perfetto for a model built without
// correlate.Options.Timeline.
var ErrNoTimeline = errors.New("the model has no timeline (correlate.Options.Timeline)")

// Perfetto protobuf field numbers (perfetto/trace/trace_packet.proto,
// track_event/track_descriptor.proto, track_event/track_event.proto).
const (
	pfTracePacket = 1 // Trace.packet

	pfTimestamp      = 8  // TracePacket.timestamp (ns)
	pfSequenceID     = 10 // TracePacket.trusted_packet_sequence_id
	pfTrackEvent     = 11 // TracePacket.track_event
	pfSequenceFlags  = 13 // TracePacket.sequence_flags
	pfTrackDesc      = 60 // TracePacket.track_descriptor
	seqStateCleared  = 1  // SEQ_INCREMENTAL_STATE_CLEARED
	pfDescUUID       = 1  // TrackDescriptor.uuid
	pfDescName       = 2  // TrackDescriptor.name
	pfDescProcess    = 3  // TrackDescriptor.process
	pfDescThread     = 4  // TrackDescriptor.thread
	pfDescParent     = 5  // TrackDescriptor.parent_uuid
	pfProcPID        = 1  // ProcessDescriptor.pid
	pfProcName       = 6  // ProcessDescriptor.process_name
	pfThreadPID      = 1  // ThreadDescriptor.pid
	pfThreadTID      = 2  // ThreadDescriptor.tid
	pfThreadName     = 5  // ThreadDescriptor.thread_name
	pfEvType         = 9  // TrackEvent.type
	pfEvTrack        = 11 // TrackEvent.track_uuid
	pfEvCategories   = 22 // TrackEvent.categories
	pfEvName         = 23 // TrackEvent.name
	pfEvFlowIDs      = 47 // TrackEvent.flow_ids (fixed64)
	pfEvTermFlowIDs  = 48 // TrackEvent.terminating_flow_ids (fixed64)
	evSliceBegin     = 1
	evSliceEnd       = 2
	perfettoSequence = 1
)

// Perfetto writes the model's timeline as a Perfetto trace (protobuf):
// one track per thread (more when its operations overlap: overlapped I/O),
// grouped by process, one slice per span, and flows from each write to the
// read it fed and from each ALPC call to its handling by the server. Open
// it at https://ui.perfetto.dev.
func Perfetto(w io.Writer, m *model.Model) error {
	if m.Timeline == nil {
		return ErrNoTimeline
	}
	names := map[uint32]string{}
	for _, p := range m.Processes {
		names[p.PID] = p.Image
	}
	spans := slices.Clone(m.Timeline)
	slices.SortStableFunc(spans, func(a, b model.Span) int {
		return cmp.Or(cmp.Compare(a.StartUS, b.StartUS), cmp.Compare(b.DurUS, a.DurUS))
	})

	bw := bufio.NewWriter(w)
	var pkt, body, sub []byte
	emit := func(p []byte) {
		var hdr []byte
		hdr = protowire.AppendTag(hdr, pfTracePacket, protowire.BytesType)
		hdr = protowire.AppendVarint(hdr, uint64(len(p)))
		bw.Write(hdr)
		bw.Write(p)
	}

	// Lanes: a thread's spans that overlap without nesting go to extra
	// tracks, so that every track holds properly nested slices.
	type laneKey struct{ pid, tid uint32 }
	lanes := map[laneKey][]int64{} // end time (ns) of the last span per lane
	type event struct {
		ts    int64 // ns
		begin bool
		track uint64
		span  *model.Span
	}
	var evs []event
	procs := map[uint32]bool{}
	tracks := map[uint64]bool{}
	var trackOrder []struct {
		uuid     uint64
		pid, tid uint32
		lane     int
	}
	for i := range spans {
		s := &spans[i]
		start := int64(math.Round(s.StartUS * 1000))
		end := start + max(int64(math.Round(s.DurUS*1000)), 1) // zero-length spans last 1 ns
		k := laneKey{s.PID, s.TID}
		ls := lanes[k]
		lane := -1
		for j, e := range ls {
			if e <= start {
				lane = j
				break
			}
		}
		if lane < 0 && len(ls) < maxLanes {
			lane = len(ls)
			ls = append(ls, 0)
		}
		if lane < 0 {
			lane = maxLanes - 1 // pathological overlap: share the last lane
		}
		ls[lane] = max(ls[lane], end)
		lanes[k] = ls
		uuid := uint64(s.PID)<<32 | uint64(s.TID)
		uuid = uuid*64 + uint64(lane) + 1
		if !tracks[uuid] {
			tracks[uuid] = true
			trackOrder = append(trackOrder, struct {
				uuid     uint64
				pid, tid uint32
				lane     int
			}{uuid, s.PID, s.TID, lane})
		}
		procs[s.PID] = true
		evs = append(evs, event{start, true, uuid, s}, event{end, false, uuid, s})
	}
	slices.SortStableFunc(evs, func(a, b event) int {
		if c := cmp.Compare(a.ts, b.ts); c != 0 {
			return c
		}
		// At equal times: ends before begins, so slices do not overlap.
		switch {
		case !a.begin && b.begin:
			return -1
		case a.begin && !b.begin:
			return 1
		}
		return 0
	})

	// Process tracks, then thread (lane) tracks.
	pids := make([]uint32, 0, len(procs))
	for p := range procs {
		pids = append(pids, p)
	}
	slices.Sort(pids)
	first := true
	for _, pid := range pids {
		sub = sub[:0]
		sub = protowire.AppendTag(sub, pfProcPID, protowire.VarintType)
		sub = protowire.AppendVarint(sub, uint64(pid))
		if n := names[pid]; n != "" {
			sub = protowire.AppendTag(sub, pfProcName, protowire.BytesType)
			sub = protowire.AppendString(sub, n)
		}
		body = body[:0]
		body = protowire.AppendTag(body, pfDescUUID, protowire.VarintType)
		body = protowire.AppendVarint(body, processTrack(pid))
		body = protowire.AppendTag(body, pfDescProcess, protowire.BytesType)
		body = protowire.AppendBytes(body, sub)
		pkt = pkt[:0]
		pkt = protowire.AppendTag(pkt, pfTrackDesc, protowire.BytesType)
		pkt = protowire.AppendBytes(pkt, body)
		pkt = protowire.AppendTag(pkt, pfSequenceID, protowire.VarintType)
		pkt = protowire.AppendVarint(pkt, perfettoSequence)
		if first {
			pkt = protowire.AppendTag(pkt, pfSequenceFlags, protowire.VarintType)
			pkt = protowire.AppendVarint(pkt, seqStateCleared)
			first = false
		}
		emit(pkt)
	}
	slices.SortFunc(trackOrder, func(a, b struct {
		uuid     uint64
		pid, tid uint32
		lane     int
	}) int {
		return cmp.Compare(a.uuid, b.uuid)
	})
	for _, t := range trackOrder {
		body = body[:0]
		body = protowire.AppendTag(body, pfDescUUID, protowire.VarintType)
		body = protowire.AppendVarint(body, t.uuid)
		body = protowire.AppendTag(body, pfDescParent, protowire.VarintType)
		body = protowire.AppendVarint(body, processTrack(t.pid))
		name := fmt.Sprintf("thread %d", t.tid)
		if t.lane > 0 {
			name = fmt.Sprintf("thread %d (overlapped I/O %d)", t.tid, t.lane)
		}
		body = protowire.AppendTag(body, pfDescName, protowire.BytesType)
		body = protowire.AppendString(body, name)
		if t.lane == 0 {
			sub = sub[:0]
			sub = protowire.AppendTag(sub, pfThreadPID, protowire.VarintType)
			sub = protowire.AppendVarint(sub, uint64(t.pid))
			sub = protowire.AppendTag(sub, pfThreadTID, protowire.VarintType)
			sub = protowire.AppendVarint(sub, uint64(t.tid))
			sub = protowire.AppendTag(sub, pfThreadName, protowire.BytesType)
			sub = protowire.AppendString(sub, name)
			body = protowire.AppendTag(body, pfDescThread, protowire.BytesType)
			body = protowire.AppendBytes(body, sub)
		}
		pkt = pkt[:0]
		pkt = protowire.AppendTag(pkt, pfTrackDesc, protowire.BytesType)
		pkt = protowire.AppendBytes(pkt, body)
		pkt = protowire.AppendTag(pkt, pfSequenceID, protowire.VarintType)
		pkt = protowire.AppendVarint(pkt, perfettoSequence)
		emit(pkt)
	}

	for _, ev := range evs {
		body = body[:0]
		typ := uint64(evSliceEnd)
		if ev.begin {
			typ = evSliceBegin
		}
		body = protowire.AppendTag(body, pfEvType, protowire.VarintType)
		body = protowire.AppendVarint(body, typ)
		body = protowire.AppendTag(body, pfEvTrack, protowire.VarintType)
		body = protowire.AppendVarint(body, ev.track)
		if ev.begin {
			body = protowire.AppendTag(body, pfEvCategories, protowire.BytesType)
			body = protowire.AppendString(body, ev.span.Category)
			body = protowire.AppendTag(body, pfEvName, protowire.BytesType)
			body = protowire.AppendString(body, ev.span.Name)
			if ev.span.FlowOut != 0 {
				body = protowire.AppendTag(body, pfEvFlowIDs, protowire.Fixed64Type)
				body = protowire.AppendFixed64(body, ev.span.FlowOut)
			}
			if ev.span.FlowIn != 0 {
				body = protowire.AppendTag(body, pfEvTermFlowIDs, protowire.Fixed64Type)
				body = protowire.AppendFixed64(body, ev.span.FlowIn)
			}
		}
		pkt = pkt[:0]
		pkt = protowire.AppendTag(pkt, pfTimestamp, protowire.VarintType)
		pkt = protowire.AppendVarint(pkt, uint64(ev.ts))
		pkt = protowire.AppendTag(pkt, pfTrackEvent, protowire.BytesType)
		pkt = protowire.AppendBytes(pkt, body)
		pkt = protowire.AppendTag(pkt, pfSequenceID, protowire.VarintType)
		pkt = protowire.AppendVarint(pkt, perfettoSequence)
		emit(pkt)
	}
	return bw.Flush()
}

// maxLanes bounds the tracks of one thread.
const maxLanes = 63

// processTrack is the track uuid of a process: thread lane uuids are
// (pid<<32|tid)*64+lane+1, which never equal pid<<38|1<<37.
func processTrack(pid uint32) uint64 { return uint64(pid)<<38 | 1<<37 }

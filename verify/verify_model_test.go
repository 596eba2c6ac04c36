package verify

import (
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/internal/latency"
)

// TestVerifyModels checks the comparisons on hand-made models for the
// kinds that synthetic traces do not cover (rpc, connect, skipped).
func TestVerifyModels(t *testing.T) {
	rpc := &Expectation{Version: 1, Kind: KindRPC, ID: "ipctrace-probe-7-aa",
		Processes: []Process{{PID: 7, Role: "caller"}},
		RPC:       []RPC{{Protocol: "ncalrpc", Endpoint: "epmapper", ClientPID: 7, Calls: 10}},
		Latency:   latency.Summary{Count: 10, P50: 80}}
	connect := &Expectation{Version: 1, Kind: KindConnect, Processes: []Process{{PID: 9, Role: "client"}},
		Connect: &Connect{Pipe: `\\.\pipe\svc`, OK: false, Reason: "busy: no listening instance"}}
	procs := []model.Process{{PID: 7}, {PID: 9}}
	cases := []struct {
		name string
		e    *Expectation
		m    *model.Model
		want []string // differences; none means OK
	}{
		{"rpc-ok", rpc, &model.Model{Processes: procs,
			RPC:  []model.RPC{{Endpoint: "epmapper", ClientPID: 7, Calls: 10, Latency: latency.Summary{Count: 10, P50: 95}}},
			ALPC: []model.ALPC{{ClientPID: 7, Calls: 10}}}, nil},
		{"rpc-missing-calls", rpc, &model.Model{Processes: procs,
			RPC:  []model.RPC{{Endpoint: "epmapper", ClientPID: 7, Calls: 8, Latency: latency.Summary{Count: 8, P50: 400}}},
			ALPC: []model.ALPC{{ClientPID: 7, Calls: 8}}},
			[]string{"rpc ncalrpc:[epmapper] client 7: calls 8, expected 10",
				"ALPC request/reply pairs 8, expected at least 10",
				"call latency: p50 400.0 µs in the trace, probe measured 80.0 µs (tolerance max(50 µs, 20%))"}},
		{"connect-busy-seen", connect, &model.Model{Processes: procs,
			Pipes: []model.Pipe{{Name: `\\.\pipe\svc`, Failures: map[string]int{"PIPE_BUSY": 1}}}}, nil},
		{"connect-busy-unseen", connect, &model.Model{Processes: procs},
			[]string{`pipe \\.\pipe\svc client 9: the failed open (busy: no listening instance) is not in the trace`}},
		{"lost-events", connect, &model.Model{Processes: procs, Trace: model.Trace{EventsLost: 3},
			Pipes: []model.Pipe{{Name: `\\.\pipe\svc`, Failures: map[string]int{"PIPE_BUSY": 1}}}},
			[]string{"trace: 3 events lost"}},
		{"skipped", &Expectation{Version: 1, Kind: KindRPC, Skipped: "Wine has no ALPC"}, &model.Model{}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Verify(c.m, c.e, nil, DefaultTolerance)
			if len(r.Differences) != len(c.want) {
				t.Fatalf("differences %q, want %q", r.Differences, c.want)
			}
			for i, w := range c.want {
				if !strings.Contains(r.Differences[i], w) {
					t.Errorf("difference %d = %q, want %q", i, r.Differences[i], w)
				}
			}
		})
	}
}

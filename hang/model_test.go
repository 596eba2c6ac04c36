package hang

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/decoders/secdesc"
	"github.com/ipctrace/ipctrace/model"
	"github.com/ipctrace/ipctrace/report"
)

func pipeCycleSnapshot(t *testing.T) *Snapshot {
	sd, err := secdesc.ParseSDDL("O:SYG:SYD:(A;;FA;;;SY)(A;;FRFW;;;WD)", nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sd.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return &Snapshot{Time: 133_800_000_000_000_000, Processes: procs(),
		Threads: []Thread{
			waiting(1200, 2804, WaitUserRequest, th(1200, 2804, StatusBlocked)),
			waiting(700, 708, WaitWrLpcReply, th(700, 708, StatusBlocked), obj(TypeALPC, StatusPIDOnly, ""), th(1200, 0, StatusPIDOnly)),
		},
		Pipes: []PipeEnd{
			{PID: 1200, Name: "X", State: PipeStateConnected, ServerPID: 700, ClientPID: 1200, SD: raw},
		},
		Warnings: []string{"SeDebugPrivilege not held: processes of other users were not read"},
	}
}

func TestToModel(t *testing.T) {
	m := ToModel(Analyze(pipeCycleSnapshot(t)))
	if m.Trace.Start != model.Time(133_800_000_000_000_000) || m.Trace.End != m.Trace.Start {
		t.Errorf("trace times %v %v", m.Trace.Start, m.Trace.End)
	}
	if len(m.Stuck) != 2 || len(m.Deadlocks) != 1 || len(m.Processes) != 4 || len(m.Security) != 1 || len(m.Warnings) != 1 {
		t.Fatalf("model: %d stuck, %d deadlocks, %d processes, %d security, %d warnings",
			len(m.Stuck), len(m.Deadlocks), len(m.Processes), len(m.Security), len(m.Warnings))
	}
	alpc, pipe := m.Stuck[0], m.Stuck[1]
	if alpc.Kind != "alpc" || alpc.Inferred || alpc.Rule != "wct" || alpc.PeerPID != 1200 || !strings.HasPrefix(alpc.Detail, "read from Windows (WCT, object PidOnly") {
		t.Errorf("alpc stuck %+v", alpc)
	}
	if pipe.Kind != "pipe" || !pipe.Inferred || pipe.Rule != "pipe-join" || pipe.PeerPID != 700 || pipe.Object != `\\.\pipe\X` || pipe.Detail != "inferred (pipe-join)" {
		t.Errorf("pipe stuck %+v", pipe)
	}
	d := m.Deadlocks[0]
	if d.Level != "process" || !d.Probable || !d.Inferred || len(d.Cycle) != 2 || d.Cycle[0].PID != 700 || d.Cycle[1].Mechanism != "pipe" || d.Cycle[1].ReceiverWaits {
		t.Errorf("deadlock %+v", d)
	}
	s := m.Security[0]
	if s.Object != `\Device\NamedPipe\X` || s.Type != "pipe" || s.OwnerPID != 700 || s.Owner != "S-1-5-18" ||
		!strings.Contains(s.SDDL, "(A;;FA;;;SY)") || s.Severity == "" || s.Error != "" {
		t.Errorf("security %+v", s)
	}

	// The report renderers take it as they take a trace's model.
	var js bytes.Buffer
	if err := report.JSON(&js, m); err != nil {
		t.Fatal(err)
	}
	var back model.Model
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Stuck) != 2 || back.Deadlocks[0].Level != "process" || back.Stuck[1].Evidence != pipe.Evidence {
		t.Errorf("JSON round trip lost data: %s", js.String())
	}
	var tb bytes.Buffer
	if err := report.Table(&tb, m, report.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Stuck operations (2)", `\\.\pipe\X`, "Deadlocks (1)", "700 (svc.exe) tid 708", "Security (1)"} {
		if !strings.Contains(tb.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tb.String())
		}
	}
}

func TestToModelSecurityErrors(t *testing.T) {
	s := pipeCycleSnapshot(t)
	s.Pipes[0].SD = nil
	s.Pipes[0].Err = "DuplicateHandle from process 1200: Access is denied."
	m := ToModel(Analyze(s))
	if len(m.Security) != 1 || m.Security[0].Error != s.Pipes[0].Err || m.Security[0].SDDL != "" {
		t.Errorf("security %+v", m.Security)
	}
	s.Pipes[0].SD = []byte{1, 0, 4}
	s.Pipes[0].Err = ""
	m = ToModel(Analyze(s))
	if len(m.Security) != 1 || m.Security[0].Error == "" {
		t.Errorf("bad descriptor: %+v", m.Security)
	}
}

//go:build windows

package probes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"unsafe"

	"github.com/ipctrace/ipctrace/verify"
	"golang.org/x/sys/windows"
)

// connectNote is printed with every `probe connect` result.
const connectNote = "this check opened the pipe as a client: it used one listening instance, " +
	"and the server saw a connection and a disconnect"

// connectFailedNote is printed when the open failed.
const connectFailedNote = "this check tried to open the pipe as a client; the open failed, so no instance was used"

// runConnect is `probe connect`: one client open of an existing pipe with
// READ_CONTROL, timed; the server PID and the pipe's security descriptor
// (docs/security.md#reading-descriptors, option A).
func runConnect(ctx context.Context, o RunOptions) (*verify.Expectation, error) {
	e := newExpectation(verify.KindConnect, o)
	e.Clock = newClock()
	name := verify.PipePath(o.Target)
	e.Options.Target = name
	c := &verify.Connect{Pipe: name, Note: connectNote}
	e.Connect = c
	pid := uint32(os.Getpid())
	e.Processes = []verify.Process{{PID: pid, Role: "client", TIDs: []uint32{windows.GetCurrentThreadId()}, Image: exeName()}}
	wname, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, err
	}
	t0 := qpc()
	h, err := windows.CreateFile(wname, windows.READ_CONTROL|windows.FILE_READ_ATTRIBUTES,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
	t1 := qpc()
	c.LatencyUS = float64(e.Clock.Ticks(t1-t0)) / 10
	e.Ops = []verify.Operation{{Kind: verify.OpConnect, PID: pid, TID: e.Processes[0].TIDs[0], Start: t0, End: t1, Status: errno(err)}}
	e.Finished = nowString()
	if err != nil {
		c.Error = err.Error()
		switch {
		case errors.Is(err, windows.ERROR_PIPE_BUSY):
			c.Reason = "busy: no listening instance (every instance is connected)"
		case errors.Is(err, windows.ERROR_FILE_NOT_FOUND), errors.Is(err, windows.ERROR_PATH_NOT_FOUND):
			c.Reason = "absent: no pipe of that name"
		case errors.Is(err, windows.ERROR_ACCESS_DENIED):
			c.Reason = "denied: the pipe's DACL does not grant READ_CONTROL to this user"
		default:
			c.Reason = err.Error()
		}
		c.Note = connectFailedNote
		return e, nil
	}
	defer windows.CloseHandle(h)
	c.OK = true
	var spid uint32
	if err := windows.GetNamedPipeServerProcessId(h, &spid); err == nil {
		c.ServerPID = spid
	}
	sd, err := windows.GetSecurityInfo(h, windows.SE_KERNEL_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.GROUP_SECURITY_INFORMATION|
			windows.DACL_SECURITY_INFORMATION|windows.LABEL_SECURITY_INFORMATION)
	if err != nil {
		c.SDError = fmt.Sprintf("GetSecurityInfo: %v", err)
		return e, nil
	}
	c.SD = append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(sd)), sd.Length())...)
	sddl, lines, err := verify.ExplainPipeSD(c.SD)
	if err != nil {
		c.SDDL = sd.String()
		c.SDError = fmt.Sprintf("decoding the descriptor: %v", err)
		return e, nil
	}
	c.SDDL, c.Explanation = sddl, lines
	if v := WineVersion(); v != "" {
		c.Explanation = append(c.Explanation, fmt.Sprintf("Wine %s keeps no pipe security descriptors and does not enforce pipe DACLs: this says nothing about Windows", v))
	}
	return e, nil
}

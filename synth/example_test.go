package synth_test

import (
	"bytes"
	"fmt"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/synth"
)

// A server and a client exchange one request and one reply on \\.\pipe\demo.
func ExampleBuilder() {
	b := synth.NewBuilder(1)
	srv := b.Process(1004, 700, "srv.exe", "srv.exe", "S-1-5-18").Thread(b, 10004)
	cli := b.Process(1008, 700, "cli.exe", "cli.exe", "S-1-5-18").Thread(b, 10008)

	t := b.Start() + synth.Millisecond
	s, t := b.CreatePipe(t, srv, "demo", false)
	b.Listen(t, s)
	c, t := b.Connect(t+b.US(100), cli, "demo")
	b.Read(t, srv, s, 4096)              // pending server read
	t = b.Write(t+b.US(20), cli, c, 128) // satisfies it
	b.Read(t, cli, c, 4096)              // pending client read
	b.Write(t+b.US(50), srv, s, 300)     // the reply

	var out bytes.Buffer
	if err := b.WriteETL(&out, etw.WriterOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	p := b.Truth().Pipes[0]
	fmt.Println(p.Name, p.Pairing, p.ToServer.Bytes, p.ToClient.Bytes, p.Latency.Count)
	// Output: \\.\pipe\demo filekey 128 300 2
}

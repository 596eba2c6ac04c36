package ntdefs

import "testing"

func TestClassifyPath(t *testing.T) {
	tests := []struct {
		path string
		want PathInfo
	}{
		{`\Device\NamedPipe\lsass`, PathInfo{Kind: PathNamedPipe, PipeName: "lsass", Win32: `\\.\pipe\lsass`}},
		{`\device\namedpipe\X\y`, PathInfo{Kind: PathNamedPipe, PipeName: `X\y`, Win32: `\\.\pipe\X\y`}},
		{`\??\pipe\Spool`, PathInfo{Kind: PathNamedPipe, PipeName: "Spool", Win32: `\\.\pipe\Spool`}},
		{`\\.\PIPE\a`, PathInfo{Kind: PathNamedPipe, PipeName: "a", Win32: `\\.\pipe\a`}},
		{`\Device\NamedPipe\`, PathInfo{Kind: PathNPFSRoot, Win32: `\\.\pipe\`}},
		{`\Device\NamedPipe`, PathInfo{Kind: PathNPFSRoot, Win32: `\\.\pipe\`}},
		{`\Device\NamedPipeX\a`, PathInfo{Kind: PathFile}},
		{`\Device\NamedPipe\Win32Pipes.000012a4.00000002`, PathInfo{Kind: PathAnonymousPipe,
			PipeName: "Win32Pipes.000012a4.00000002", Win32: `\\.\pipe\Win32Pipes.000012a4.00000002`}},
		{`\Device\Mailslot\net\NETLOGON`, PathInfo{Kind: PathMailslot, PipeName: `net\NETLOGON`, Win32: `\\.\mailslot\net\NETLOGON`}},
		{`\??\MAILSLOT\m`, PathInfo{Kind: PathMailslot, PipeName: "m", Win32: `\\.\mailslot\m`}},
		{`\Device\Mup\srv\PIPE\svcctl`, PathInfo{Kind: PathRemotePipe, PipeName: "svcctl", Server: "srv",
			Win32: `\\srv\pipe\svcctl`, Inferred: true}},
		{`\Device\Mup\;LanmanRedirector\;Z:0000000000012345\srv\pipe\a\b`, PathInfo{Kind: PathRemotePipe,
			PipeName: `a\b`, Server: "srv", Win32: `\\srv\pipe\a\b`, Inferred: true}},
		{`\Device\LanmanRedirector\srv\PIPE\x`, PathInfo{Kind: PathRemotePipe, PipeName: "x", Server: "srv",
			Win32: `\\srv\pipe\x`, Inferred: true}},
		{`\Device\Mup\srv\share\file.txt`, PathInfo{Kind: PathFile}},
		{`\Device\Mup\srv\PIPE`, PathInfo{Kind: PathFile}},
		{`\Device\HarddiskVolume3\Windows\notepad.exe`, PathInfo{Kind: PathFile}},
		{`\BaseNamedObjects\x`, PathInfo{Kind: PathFile}},
		{``, PathInfo{Kind: PathFile}},
		{`\`, PathInfo{Kind: PathFile}},
	}
	for _, tc := range tests {
		if got := ClassifyPath(tc.path); got != tc.want {
			t.Errorf("ClassifyPath(%q) = %+v, want %+v", tc.path, got, tc.want)
		}
	}
	if got := ClassifyPipeName(""); got != (PathInfo{Kind: PathAnonymousPipe, Inferred: true}) {
		t.Errorf("ClassifyPipeName(\"\") = %+v", got)
	}
}

func TestLocalPipeName(t *testing.T) {
	for path, want := range map[string]string{
		`\Device\NamedPipe\lsass`:          "lsass",
		`\device\namedpipe\X\y`:            `X\y`,
		`\Device\NamedPipe\Win32Pipes.1.2`: "Win32Pipes.1.2",
		`\Device\NamedPipe\`:               "",
		`\Device\HarddiskVolume1\x`:        "",
		`\Device\Mup\srv\PIPE\svcctl`:      "",
		`\Device\Mailslot\m`:               "",
		``:                                 "",
	} {
		got, ok := LocalPipeName(path)
		if got != want || ok != (want != "") {
			t.Errorf("LocalPipeName(%q) = %q, %v; want %q", path, got, ok, want)
		}
	}
}

func TestPathKindString(t *testing.T) {
	for k, want := range map[PathKind]string{PathFile: "file", PathNamedPipe: "named-pipe", PathNPFSRoot: "npfs-root",
		PathAnonymousPipe: "anonymous-pipe", PathMailslot: "mailslot", PathRemotePipe: "remote-pipe", 99: "unknown"} {
		if k.String() != want {
			t.Errorf("%d: %q, want %q", k, k.String(), want)
		}
		if b, _ := k.MarshalText(); string(b) != want {
			t.Errorf("%d: MarshalText %q", k, b)
		}
	}
	if !PathRemotePipe.IsPipe() || PathMailslot.IsPipe() || PathNPFSRoot.IsPipe() {
		t.Error("IsPipe")
	}
}

func BenchmarkClassifyPath(b *testing.B) {
	paths := []string{`\Device\NamedPipe\lsass`, `\Device\HarddiskVolume3\Windows\System32\ntdll.dll`,
		`\Device\Mup\srv\PIPE\svcctl`, `\Device\NamedPipe\Win32Pipes.000012a4.00000002`}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ClassifyPath(paths[i%len(paths)])
	}
}

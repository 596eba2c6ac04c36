package etw

// kernelGroupGUIDs maps a kernel hook group (Packet.Group) to its classic
// event class GUID (evntrace.h / ntwmi.h; corpus README table).
var kernelGroupGUIDs = [...]GUID{
	0x00: MustParseGUID("68fdd900-4a3e-11d1-84f4-0000f80464e3"), // EventTrace
	0x01: MustParseGUID("3d6fa8d4-fe05-11d0-9dda-00c04fd7ba7c"), // DiskIo
	0x02: MustParseGUID("3d6fa8d3-fe05-11d0-9dda-00c04fd7ba7c"), // PageFault
	0x03: MustParseGUID("3d6fa8d0-fe05-11d0-9dda-00c04fd7ba7c"), // Process
	0x04: MustParseGUID("90cbdc39-4a3e-11d1-84f4-0000f80464e3"), // FileIo
	0x05: MustParseGUID("3d6fa8d1-fe05-11d0-9dda-00c04fd7ba7c"), // Thread
	0x06: MustParseGUID("9a280ac0-c8e0-11d1-84e2-00c04fb998a2"), // TcpIp
	0x07: MustParseGUID("3282fc76-feed-498e-8aa7-e70f459d430e"), // Job
	0x08: MustParseGUID("bf3a50c5-a9c9-4988-a005-2df0b7c80f80"), // UdpIp
	0x09: MustParseGUID("ae53722e-c863-11d2-8659-00c04fa321a1"), // Registry
	0x0A: MustParseGUID("13976d09-a327-438c-950b-7f03192815c7"), // DbgPrint
	0x0B: MustParseGUID("01853a65-418f-4f36-aefc-dc0f1d2fd235"), // EventTraceConfig
	0x0C: MustParseGUID("99134383-5248-43fc-834b-529454e75df3"), // Spare1
	0x0D: MustParseGUID("42695762-ea50-497a-9068-5cbbb35e0b95"), // Wnf
	0x0E: MustParseGUID("0268a8b6-74fd-4302-9dd0-6e8f1795c0cf"), // Pool
	0x0F: MustParseGUID("ce1dbfb4-137e-4da6-87b0-3f59aa102cbc"), // PerfInfo
	0x10: MustParseGUID("222962ab-6180-4b88-a825-346b75f2a24a"), // Heap
	0x11: MustParseGUID("89497f50-effe-4440-8cf2-ce6b1cdcaca7"), // Object
	0x12: MustParseGUID("e43445e0-0903-48c3-b878-ff0fccebdd04"), // Power
	0x13: MustParseGUID("a9152f00-3f58-4bee-92a1-70c7d079d5dd"), // ModBound
	0x14: MustParseGUID("2cb15d1d-5fc1-11d2-abe1-00a0c911f518"), // Image
	0x15: MustParseGUID("b2d14872-7c5b-463d-8419-ee9bf7d23e04"), // Dpc
	0x16: MustParseGUID("7687a439-f752-45b8-b741-321aec0f8df9"), // Cc
	0x17: MustParseGUID("3ac66736-cc59-4cff-8115-8df50e39816b"), // CritSec
	0x18: MustParseGUID("def2fe46-7bd6-4b80-bd94-f57fe20d0ce3"), // StackWalk
	0x19: MustParseGUID("9aec974b-5b8e-4118-9b92-3186d8002ce5"), // Ums
	0x1A: MustParseGUID("45d8cccd-539f-4b72-a8b7-5c683142609a"), // ALPC
	0x1B: MustParseGUID("d837ca92-12b9-44a5-ad6a-3a65b3578aa8"), // SplitIo
	0x1C: MustParseGUID("c861d0e2-a2c1-4d36-9f9c-970bab943a12"), // ThreadPool
	0x1D: MustParseGUID("7f2a405c-69b5-4bf9-a1f5-30e8f1afab5e"), // Hypervisor
	0x1E: MustParseGUID("2ce9a149-effe-42f0-a635-a1d39e26c8f2"), // HypervisorX
}

// Kernel groups named by the reader.
const (
	GroupEventTrace = 0x00
	GroupProcess    = 0x03
	GroupImage      = 0x14
)

// KernelClassGUID returns the class GUID of a kernel record of the given
// group and opcode (Packet.Type): the group's GUID from the corpus README
// table, except that group 0x03 (Process) opcode 10 is an image load and takes
// the Image GUID. Groups past the table give the zero GUID.
func KernelClassGUID(group, opcode uint8) GUID {
	if group == GroupProcess && opcode == 10 {
		return kernelGroupGUIDs[GroupImage]
	}
	if int(group) < len(kernelGroupGUIDs) {
		return kernelGroupGUIDs[group]
	}
	return GUID{}
}

package decoders

import "github.com/ipctrace/ipctrace/etw"

// Registry classic kernel events (MOF Registry / Registry_V2 classes).

// RegistryGUID is the Registry event class (EVENT_TRACE_FLAG_REGISTRY 0x00020000).
var RegistryGUID = etw.MustParseGUID("ae53722e-c863-11d2-8659-00c04fa321a1")

// RegistryOp is a Registry key operation (opcodes 10…29, Registry_TypeGroup1).
// Version 2 is {InitialTime, Status, Index, KeyHandle P, KeyName};
// version 1 is {Status, KeyHandle P, ElapsedTime, Index, KeyName}.
type RegistryOp struct {
	Op          Op     `json:"op"`
	InitialTime int64  `json:"initial_time"` // v2
	ElapsedTime int64  `json:"elapsed_time"` // v1
	Status      uint32 `json:"status"`
	Index       uint32 `json:"index"`
	KeyHandle   uint64 `json:"key_handle"`
	KeyName     string `json:"key_name"`
}

// RegistryCounters is Registry Counters (34): eleven 64-bit counters.
type RegistryCounters struct {
	Counters [11]uint64 `json:"counters"`
}

// RegistryConfig is Registry Config (35).
type RegistryConfig struct {
	CurrentControlSet uint32 `json:"current_control_set"`
}

func (*RegistryOp) EventName() string       { return "Registry/Op" }
func (*RegistryCounters) EventName() string { return "Registry/Counters" }
func (*RegistryConfig) EventName() string   { return "Registry/Config" }

var registryOpNames = map[Op]string{10: "Create", 11: "Open", 12: "Delete", 13: "Query", 14: "SetValue",
	15: "DeleteValue", 16: "QueryValue", 17: "EnumerateKey", 18: "EnumerateValueKey", 19: "QueryMultipleValue",
	20: "SetInformation", 21: "Flush", 22: "KCBCreate", 23: "KCBDelete", 24: "KCBRundownBegin",
	25: "KCBRundownEnd", 26: "Virtualize", 27: "Close", 28: "SetSecurity", 29: "QuerySecurity"}

func registryOpLayout(v uint16) *layout[RegistryOp] {
	type R = RegistryOp
	if v == 1 {
		return fields(
			u32("Status", func(e *R) any { return &e.Status }),
			pointer("KeyHandle", func(e *R) any { return &e.KeyHandle }),
			u64("ElapsedTime", func(e *R) any { return &e.ElapsedTime }),
			u32("Index", func(e *R) any { return &e.Index }),
			wstr("KeyName", func(e *R) any { return &e.KeyName }))
	}
	return fields(
		u64("InitialTime", func(e *R) any { return &e.InitialTime }),
		u32("Status", func(e *R) any { return &e.Status }),
		u32("Index", func(e *R) any { return &e.Index }),
		pointer("KeyHandle", func(e *R) any { return &e.KeyHandle }),
		wstr("KeyName", func(e *R) any { return &e.KeyName }))
}

var registryCounters = func() *layout[RegistryCounters] {
	fs := make([]field[RegistryCounters], 0, 11)
	for i := range 11 {
		fs = append(fs, u64("Counter", func(e *RegistryCounters) any { return &e.Counters[i] }))
	}
	return fields(fs...)
}()

var registryConfig = fields(u32("CurrentControlSet", func(e *RegistryConfig) any { return &e.CurrentControlSet }))

func init() {
	kernelClasses[RegistryGUID] = true
	for v := uint16(1); v <= 2; v++ {
		l := registryOpLayout(v)
		for op := Op(10); op <= 29; op++ {
			def[RegistryOp, *RegistryOp]{name: "Registry/" + registryOpNames[op], l: l,
				slot: func(p *Parser) *RegistryOp { return &p.ext.regOp },
				init: setOp(op, func(e *RegistryOp) *Op { return &e.Op })}.add(KernelKey(RegistryGUID, uint8(op), v))
		}
	}
	def[RegistryCounters, *RegistryCounters]{name: "Registry/Counters", l: registryCounters,
		slot: func(p *Parser) *RegistryCounters { return &p.ext.regCounters }}.add(KernelKey(RegistryGUID, 34, 2))
	def[RegistryConfig, *RegistryConfig]{name: "Registry/Config", l: registryConfig,
		slot: func(p *Parser) *RegistryConfig { return &p.ext.regConfig }}.add(KernelKey(RegistryGUID, 35, 2))
}

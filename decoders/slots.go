package decoders

// extSlots holds the Parser's reusable storage for the event types of
// tcpip.go, registry_events.go, perfinfo.go, stackwalk.go, sched.go,
// pagefault.go and perfctr.go.
type extSlots struct {
	netIPv4      NetIPv4
	netIPv6      NetIPv6
	netFail      NetFail
	regOp        RegistryOp
	regCounters  RegistryCounters
	regConfig    RegistryConfig
	perfSample   PerfInfoSample
	perfISR      PerfInfoISR
	perfDPC      PerfInfoDPC
	perfSysEnter PerfInfoSysCallEnter
	perfSysExit  PerfInfoSysCallExit
	perfDebugger PerfInfoDebuggerEnabled
	perfColl     PerfInfoCollection
	perfSpinCfg  PerfInfoSpinLockConfig
	stack        StackWalkStack
	stackRef     StackWalkKeyRef
	stackDef     StackWalkKeyDef
	cswitch      CSwitch
	spinLock     SpinLock
	threadPrio   ThreadPriority
	readyThread  ReadyThread
	abSet        AutoBoostSetFloor
	abClear      AutoBoostClearFloor
	abExhaust    AutoBoostEntryExhaustion
	pageFault    PageFaultEvent
	hardFault    HardFault
	perfCtr      ProcessPerfCtr
	kernelBase   ImageKernelBase
	hypercall    ImageHypercallPage
}

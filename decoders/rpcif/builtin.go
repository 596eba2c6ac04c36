package rpcif

import "github.com/ipctrace/ipctrace/etw"

// builtin is the table of well-known interfaces. Every UUID was read on
// the open specification named in Spec (Microsoft's Windows and Exchange
// protocol documents, and The Open Group's C706 for the endpoint mapper);
// an interface whose UUID could not be read there is left out rather than
// guessed. Methods holds only opnums whose number and name were read in
// the specification's method table or method sections.
//
// Left out for want of a checked source (add them with --interfaces):
// srvsvc [MS-SRVS], IEventService [MS-EVEN6], and the DCOM interfaces
// IRemUnknown, IRemUnknown2, IRemoteSCMActivator / ISystemActivator,
// IObjectExporter and IActivation, whose method tables [MS-DCOM] gives
// but whose UUIDs were not found on a specification page.
var builtin = []Interface{
	{UUID: g("e1af8308-5d1f-11c9-91a4-08002b14a0fa"), Name: "epmapper", Spec: "C706 Appendix O (ept v3.0); MS-RPCE 2.2.1.2",
		Methods: map[uint32]string{0: "ept_insert", 1: "ept_delete", 2: "ept_lookup", 3: "ept_map",
			4: "ept_lookup_handle_free", 5: "ept_inq_object", 6: "ept_mgmt_delete"}},
	{UUID: g("367abb81-9844-35f1-ad32-98f038001003"), Name: "svcctl", Spec: "MS-SCMR 1.9",
		Methods: map[uint32]string{0: "RCloseServiceHandle", 1: "RControlService", 2: "RDeleteService",
			11: "RChangeServiceConfigW", 16: "ROpenServiceW", 23: "RChangeServiceConfigA", 24: "RCreateServiceA",
			27: "ROpenSCManagerA", 28: "ROpenServiceA", 36: "RChangeServiceConfig2A", 37: "RChangeServiceConfig2W",
			45: "RCreateServiceWOW64W", 49: "RCloseNotifyHandle", 50: "RControlServiceExA", 51: "RControlServiceExW",
			64: "ROpenSCManager2"}},
	{UUID: g("12345778-1234-abcd-ef00-0123456789ab"), Name: "lsarpc", Spec: "MS-LSAD 1.9 (shared with MS-LSAT)",
		Methods: map[uint32]string{0: "LsarClose", 2: "LsarEnumeratePrivileges", 3: "LsarQuerySecurityObject",
			4: "LsarSetSecurityObject", 6: "LsarOpenPolicy", 7: "LsarQueryInformationPolicy", 8: "LsarSetInformationPolicy",
			10: "LsarCreateAccount", 11: "LsarEnumerateAccounts", 14: "LsarLookupNames", 15: "LsarLookupSids"}},
	{UUID: g("12345778-1234-abcd-ef00-0123456789ac"), Name: "samr", Spec: "MS-SAMR 2.1"},
	{UUID: g("12345678-1234-abcd-ef00-01234567cffb"), Name: "netlogon", Spec: "MS-NRPC 2.1"},
	{UUID: g("12345678-1234-abcd-ef00-0123456789ab"), Name: "winspool (spoolss)", Spec: "MS-RPRN 1.9"},
	{UUID: g("76f03f96-cdfd-44fc-a22c-64950a001209"), Name: "IRemoteWinspool", Spec: "MS-PAR 3.1"},
	{UUID: g("6bffd098-a112-3610-9833-46c3f87e345a"), Name: "wkssvc", Spec: "MS-WKST 1.9"},
	{UUID: g("338cd001-2244-31f1-aaaa-900038001003"), Name: "winreg", Spec: "MS-RSP 2.1 (MS-RRP)"},
	{UUID: g("894de0c0-0d55-11d3-a322-00c04fa321a1"), Name: "InitShutdown", Spec: "MS-RSP 2.1"},
	{UUID: g("d95afe70-a6d5-4259-822e-2c84da1ddb0d"), Name: "WindowsShutdown", Spec: "MS-RSP 2.1"},
	{UUID: g("82273fdc-e32a-18c3-3f78-827929dc23ea"), Name: "eventlog", Spec: "MS-EVEN 6 (IDL)"},
	{UUID: g("1ff70682-0a51-30e8-076d-740be8cee98b"), Name: "ATSvc", Spec: "MS-TSCH 1.9"},
	{UUID: g("378e52b0-c0a9-11cf-822d-00aa0051e40f"), Name: "SASec", Spec: "MS-TSCH 1.9"},
	{UUID: g("86d35949-83c9-4044-b424-db363231fd0c"), Name: "ITaskSchedulerService", Spec: "MS-TSCH 1.9"},
	{UUID: g("c681d488-d850-11d0-8c52-00c04fd90f7e"), Name: "efsrpc (\\pipe\\lsarpc)", Spec: "MS-EFSR 1.9"},
	{UUID: g("df1941c5-fe89-4e79-bf10-463657acf44d"), Name: "efsrpc", Spec: "MS-EFSR 1.9"},
	{UUID: g("e3514235-4b06-11d1-ab04-00c04fc2dcd2"), Name: "drsuapi", Spec: "MS-DRSR 1.9"},
	{UUID: g("7c44d7d4-31d5-424c-bd5e-2b3e1f323d22"), Name: "dsaop", Spec: "MS-DRSR 1.9"},
	{UUID: g("3919286a-b10c-11d0-9ba8-00c04fd92ef5"), Name: "dssetup", Spec: "MS-DSSP 2.1"},
	{UUID: g("3dde7c30-165d-11d1-ab8f-00805f14db40"), Name: "BackupKey", Spec: "MS-BKRP 1.9"},
	{UUID: g("300f3532-38cc-11d0-a3f0-0020af6b0add"), Name: "trkwks", Spec: "MS-DLTW 1.9"},
	{UUID: g("e33c0cc4-0482-101a-bc0c-02608c6ba218"), Name: "LocToLoc", Spec: "MS-RPCL 1.9"},
	{UUID: g("6bffd098-a112-3610-9833-46c3f874532d"), Name: "dhcpsrv", Spec: "MS-DHCPM 2.1"},
	{UUID: g("5b821720-f63b-11d0-aad2-00c04fc324db"), Name: "dhcpsrv2", Spec: "MS-DHCPM 2.1"},
	{UUID: g("82ad4280-036b-11cf-972c-00aa006887b0"), Name: "inetinfo", Spec: "MS-IRP 1"},
	{UUID: g("f5cc5a18-4264-101a-8c59-08002b2f8426"), Name: "nspi", Spec: "MS-NSPI 1.9"},
	{UUID: g("a4f1db00-ca47-1067-b31f-00dd010662da"), Name: "EMSMDB", Spec: "MS-OXCRPC 1.9"},
	{UUID: g("5261574a-4572-206e-b268-6b199213b4e4"), Name: "AsyncEMSMDB", Spec: "MS-OXCRPC 1.9"},

	// DCOM (ORPC) interfaces: opnums 0–2 are IUnknown's.
	{UUID: g("00000000-0000-0000-c000-000000000046"), Name: "IUnknown", Spec: "MS-DCOM 3.1.1.5.8", COM: true},
	{UUID: g("f309ad18-d86a-11d0-a075-00c04fb68820"), Name: "IWbemLevel1Login", Spec: "MS-WMI 3.1.4.1", COM: true},
	{UUID: g("d4781cd6-e5d3-44df-ad94-930efe48a887"), Name: "IWbemLoginClientID", Spec: "MS-WMI 3.1.4.8", COM: true},
	{UUID: g("541679ab-2e5f-11d3-b34e-00104bcc4b4a"), Name: "IWbemLoginHelper", Spec: "MS-WMI 3.1.4.9", COM: true},
	{UUID: g("d99e6e70-fc88-11d0-b498-00a0c90312f3"), Name: "ICertRequestD", Spec: "MS-WCCE 1.9", COM: true},
	{UUID: g("5422fd3a-d4b8-4cef-a12e-e87d4ca22e90"), Name: "ICertRequestD2", Spec: "MS-WCCE 1.9", COM: true},
	{UUID: g("b60040e0-bcf3-11d1-861d-0080c729264d"), Name: "IGetTrackingData", Spec: "MS-COMT 1.9", COM: true},
	{UUID: g("182c40fa-32e4-11d0-818b-00a0c9231c29"), Name: "ICatalogSession", Spec: "MS-COMA 1.9", COM: true},
}

func g(s string) etw.GUID { return etw.MustParseGUID(s) }

// Package secdesc decodes, encodes and explains Windows security
// descriptors: the self-relative SECURITY_DESCRIPTOR (MS-DTYP §2.4.6), SIDs
// (§2.4.2), ACLs and every ACE type (§2.4.4, §2.4.5), conditional ACE
// expressions (§2.4.4.17) and SDDL (§2.5.1). The layouts, aliases, rights
// and verdict rules are those of docs/security.md; the test
// vectors are docs/security.md#vectors.
//
// Parse reads binary input that may be hostile: every offset and size is
// checked against the buffer, the ACE count is bounded by AclSize, and
// errors are *Error{Off, What, Err} naming the byte offset. ParseSDDL
// returns *SyntaxError{Pos, Token, Msg}. MarshalBinary writes Windows'
// layout (SACL, DACL, owner, group), so SDDL → binary matches
// ConvertStringSecurityDescriptorToSecurityDescriptor for the MS-DTYP
// example, and binary → struct → binary is the identity for canonical input.
//
// SDDL output follows ConvertSecurityDescriptorToStringSecurityDescriptor:
// parts O G D S; aliases for well-known SIDs (domain-relative ones only with
// FormatOptions.Domain); ACL flags P, AR, AI; D:NO_ACCESS_CONTROL for a NULL
// DACL; ACE flags in the order OI CI NP IO ID CR SA FA (TP for SA on
// access-filter ACEs); rights as one exact token when the mask equals
// GA/GR/GW/GX/FA/FR/FW/FX/KA/KR/KW, empty for 0, NR/NW/NX for label ACEs,
// else 0x%x; object GUIDs in lower case. Conditional expressions are
// rendered in infix form with minimal parentheses and parsed back to the
// binary token stream; a binary expression that the text cannot reproduce
// byte for byte (for example an INT8 token, which text always encodes as
// INT64) is reported as ErrUnsupported rather than printed lossily.
// Resource attribute ACEs (RA) are kept raw and round-trip in binary; their
// SDDL text form is not implemented and is reported as unsupported.
//
// Explain describes what each ACE principal may do to an object of a given
// ObjectType (generic rights mapped per type; deny ACEs for the principal and
// for Everyone applied in ACL order; inherit-only ACEs and object ACEs aimed
// at a typed sub-object skipped; conditional allows counted and conditional
// denies ignored, so the verdict is the worst case), the
// integrity label (no label = Medium, no-write-up), and findings with
// stable names and severities:
//
//	dacl_missing                 critical  DACL_PRESENT clear
//	null_dacl                    critical  DACL present but NULL
//	empty_dacl                   info      nobody but the owner
//	<who>_writable               high/medium  write-like rights (pipe: FILE_WRITE_DATA; section: map write/extend)
//	create_instance_by_untrusted high/medium  pipe FILE_CREATE_PIPE_INSTANCE (name squatting)
//	<who>_connect                high/medium  ALPC PORT_CONNECT
//	appcontainer_connect         medium    AppContainer may open a pipe for reading (high for ALPC connect)
//	<who>_read                   low       Everyone/Anonymous read (the default pipe DACL)
//	<who>_can_change_permissions high      WRITE_DAC or WRITE_OWNER
//	low_integrity_label          medium    label below Medium
//
// where <who> is world (Everyone), anonymous, appcontainer (ALL APPLICATION
// PACKAGES, ALL RESTRICTED APPLICATION PACKAGES, package SIDs) — high — or
// authenticated, users, guests, interactive, network — medium.
// Generic mappings for sections, ALPC ports, directories, processes and
// threads are inferred ([I], docs/rules.md#certainty) and Explanation.Notes says so.
//
// # JSON (Report, printed by `ipctrace sd --json`)
//
//	revision        int      SD revision (1)
//	control         int      Control bits
//	control_flags   []string names of the set Control bits
//	owner, group    SIDInfo  {sid, alias, name} or null
//	dacl_state      string   "present", "null" (NULL DACL) or "absent"
//	dacl            ACLInfo  {revision, aces: []ACEInfo} or null
//	sacl_state      string   as dacl_state
//	sacl            ACLInfo
//	sddl            string   SDDL form ("" when not representable)
//	sddl_error      string   why there is no SDDL form
//	binary_hex      string   canonical self-relative bytes
//	explanation     Explanation
//
// ACEInfo: index, type (e.g. "ACCESS_ALLOWED"), token ("A"), flags (int),
// flag_names, mask (int), rights (names for the object type), mapped_rights
// (after generic mapping), object_type / inherited_object_type (GUIDs),
// sid (SIDInfo), client_sid (compound ACEs), condition (SDDL text of a
// conditional expression), app_data_hex (application data that is not a
// decodable condition), sddl / sddl_error (the ACE alone).
//
// Explanation: object_type, dacl ("present", "null", "absent", "empty"),
// principals []{sid, name, allowed, denied, allowed_names, denied_names,
// conditional, text}, label {sid, level, rid, policy, default, text},
// findings []{name, severity, principal, text}, verdict (severity name:
// none, info, low, medium, high, critical), summary, notes.
package secdesc

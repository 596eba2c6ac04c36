package etw

import (
	"encoding/binary"
	"iter"
	"strconv"
)

// Extended data item types (evntcons.h EVENT_HEADER_EXT_TYPE_*; docs/format.md#event-header).
const (
	ExtRelatedActivityID uint16 = 1
	ExtSID               uint16 = 2
	ExtTSID              uint16 = 3
	ExtInstanceInfo      uint16 = 4
	ExtStackTrace32      uint16 = 5
	ExtStackTrace64      uint16 = 6
	ExtPEBSIndex         uint16 = 7
	ExtPMCCounters       uint16 = 8
	ExtPSMKey            uint16 = 9
	ExtEventKey          uint16 = 10
	ExtEventSchemaTL     uint16 = 11
	ExtProvTraits        uint16 = 12
	ExtProcessStartKey   uint16 = 13
	ExtControlGUID       uint16 = 14
	ExtQPCDelta          uint16 = 15
	ExtContainerID       uint16 = 16
	ExtStackKey32        uint16 = 17
	ExtStackKey64        uint16 = 18
)

var extTypeNames = [...]string{
	ExtRelatedActivityID: "RELATED_ACTIVITYID",
	ExtSID:               "SID",
	ExtTSID:              "TS_ID",
	ExtInstanceInfo:      "INSTANCE_INFO",
	ExtStackTrace32:      "STACK_TRACE32",
	ExtStackTrace64:      "STACK_TRACE64",
	ExtPEBSIndex:         "PEBS_INDEX",
	ExtPMCCounters:       "PMC_COUNTERS",
	ExtPSMKey:            "PSM_KEY",
	ExtEventKey:          "EVENT_KEY",
	ExtEventSchemaTL:     "EVENT_SCHEMA_TL",
	ExtProvTraits:        "PROV_TRAITS",
	ExtProcessStartKey:   "PROCESS_START_KEY",
	ExtControlGUID:       "CONTROL_GUID",
	ExtQPCDelta:          "QPC_DELTA",
	ExtContainerID:       "CONTAINER_ID",
	ExtStackKey32:        "STACK_KEY32",
	ExtStackKey64:        "STACK_KEY64",
}

// ExtTypeName returns the evntcons.h name of an extended item type without
// the EVENT_HEADER_EXT_TYPE_ prefix, or "EXT_<n>" for unknown types.
func ExtTypeName(t uint16) string {
	if int(t) < len(extTypeNames) && extTypeNames[t] != "" {
		return extTypeNames[t]
	}
	return "EXT_" + strconv.FormatUint(uint64(t), 10)
}

// ExtItem is one extended data item of an EVENT_HEADER record. Data is the
// item's DataSize bytes (padding excluded) and aliases the record.
type ExtItem struct {
	Type uint16
	Data []byte
}

// extItemHeaderSize is the on-disk item header: u16 size, u16 type, u16 linkage, u16 data size.
const extItemHeaderSize = 8

// ExtItems walks the extended data items of r.Ext in order (docs/format.md#event-header):
// each item is an 8-byte header {u16 Size, u16 ExtType, u16 Linkage, u16 DataSize}
// followed by its data, padded to Size. The walk stops after the item whose
// Linkage bit is clear. A malformed item yields a *FormatError and ends the walk.
func (r *Record) ExtItems() iter.Seq2[ExtItem, error] {
	return func(yield func(ExtItem, error) bool) {
		b := r.Ext
		if len(b) == 0 {
			return
		}
		pos := 0
		for {
			it, size, last, err := parseExtItem(b[pos:])
			if err != nil {
				yield(ExtItem{}, r.extErr(pos, err))
				return
			}
			if !yield(it, nil) {
				return
			}
			pos += size
			if last {
				return
			}
		}
	}
}

func (r *Record) extErr(pos int, err error) *FormatError {
	// Position of the item inside the record: EVENT_HEADER fixed part precedes Ext.
	at := r.Pos + eventHeaderSize + pos
	if r.Compressed {
		return formatErr(r.BufferOffset, err, "extended data item in decompressed buffer at +%#x", at)
	}
	return formatErr(r.BufferOffset+int64(at), err, "extended data item")
}

// parseExtItem decodes the item at the start of b and returns it, its
// on-disk size, and whether its Linkage bit is clear (last item).
func parseExtItem(b []byte) (it ExtItem, size int, last bool, err error) {
	if len(b) < extItemHeaderSize {
		return it, 0, false, ErrTruncated
	}
	size = int(binary.LittleEndian.Uint16(b[0:]))
	it.Type = binary.LittleEndian.Uint16(b[2:])
	linkage := binary.LittleEndian.Uint16(b[4:])
	dataSize := int(binary.LittleEndian.Uint16(b[6:]))
	if size < extItemHeaderSize || size > len(b) || extItemHeaderSize+dataSize > size {
		return it, 0, false, ErrBadSize
	}
	it.Data = b[extItemHeaderSize : extItemHeaderSize+dataSize : extItemHeaderSize+dataSize]
	return it, size, linkage&1 == 0, nil
}

// extLength returns the number of bytes the linked item chain occupies at
// the start of b (which starts right after the EVENT_HEADER fixed part).
func extLength(b []byte) (int, error) {
	pos := 0
	for {
		_, size, last, err := parseExtItem(b[pos:])
		if err != nil {
			return pos, err
		}
		pos += size
		if last {
			return pos, nil
		}
	}
}

// eventHeaderSize is the fixed part of an EVENT_HEADER record (docs/format.md#event-header).
const eventHeaderSize = 0x50

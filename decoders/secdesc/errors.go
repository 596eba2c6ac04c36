package secdesc

import (
	"errors"
	"fmt"
)

// Sentinel errors wrapped by *Error and *SyntaxError.
var (
	// ErrTruncated: a structure runs past the end of its enclosing buffer.
	ErrTruncated = errors.New("truncated")
	// ErrInvalid: a field holds a value the format does not allow.
	ErrInvalid = errors.New("invalid value")
	// ErrUnsupported: the input is well formed but cannot be represented
	// (for example an ACE type that has no SDDL form).
	ErrUnsupported = errors.New("not representable")
)

// Error is a binary format error: Off is the byte offset from the start of the
// security descriptor, What names the structure or field being read.
type Error struct {
	Off  int
	What string
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("offset %#x: reading %s: %v", e.Off, e.What, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

func errAt(off int, what string, err error) *Error { return &Error{Off: off, What: what, Err: err} }

// SyntaxError is an SDDL error: Pos is the byte position in the SDDL string of
// the offending Token.
type SyntaxError struct {
	Pos   int
	Token string
	Msg   string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("sddl: position %d: %s (at %q)", e.Pos, e.Msg, e.Token)
}

// UnrepresentableError reports why a parsed descriptor cannot be written as SDDL
// without losing information. ACE is the index in its ACL, List "D" or "S".
type UnrepresentableError struct {
	List string
	ACE  int
	Msg  string
}

func (e *UnrepresentableError) Error() string {
	if e.List == "" {
		return "sddl: ACE: " + e.Msg
	}
	return fmt.Sprintf("sddl: %s ACE %d: %s", e.List, e.ACE, e.Msg)
}

func (e *UnrepresentableError) Unwrap() error { return ErrUnsupported }

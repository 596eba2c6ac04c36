// Package docref holds the test that keeps the repository's citations of
// its own reference honest. Code comments, command help and report
// footnotes cite docs/ in one of two forms (docs/README.md#citations):
//
//	docs/<file>.md#<anchor>   a section: a heading's GitHub anchor or an <a id>
//	docs/rules.md <ID>        a rule, optionally more ids or a range: P4, P5; W1–W6
//
// The test walks every .go file of the module and README.md, and fails when
// a cited file, anchor or rule id does not exist, when a rule id used as a
// JSON value in code has no section in docs/rules.md, when an event the
// decoders register is missing from the catalog of docs/events.md, or when
// code still cites the research notes that live outside the repository.
// The package has no code of its own.
package docref

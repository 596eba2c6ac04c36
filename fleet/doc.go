// Package fleet writes analysis results of many traces as a Parquet
// dataset: one file per table (trace, processes, pipes, alpc, rpc,
// sections, stuck, idle, deadlocks, security) in one directory, every row
// carrying where it came from (machine, file, trace start, namespace), so
// that query engines (DuckDB, Spark, Trino, BigQuery) read the results of
// a whole fleet as one dataset. The schema, its types and its version are
// described in docs/parquet.md.
//
// Run analyses many files in parallel, one namespace per file, and feeds
// one Writer in file order, so the output does not depend on scheduling.
package fleet

package fleet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ipctrace/ipctrace/model"
)

// RowGroupRows is how many rows a table buffers before it writes them as
// one row group: it bounds the writer's memory per table.
const RowGroupRows = 64 * 1024

// Writer writes models as a dataset: one Parquet file per table in a
// directory (docs/parquet.md). Rows of every Add append to the same
// files, in the order of the calls. A Writer is not safe for concurrent use.
type Writer struct {
	dir    string
	outs   []*tableOut
	closed bool
}

type tableOut struct {
	ent  entity
	path string
	f    *os.File
	fw   *pqarrow.FileWriter
	rb   *array.RecordBuilder
	n    int   // rows buffered in rb
	rows int64 // rows written or buffered
}

// Create makes dir (when missing) and creates its table files, replacing
// files of the same names.
func Create(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w := &Writer{dir: dir}
	props := parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithCreatedBy("ipctrace"),
		parquet.WithMaxRowGroupLength(RowGroupRows),
	)
	for _, ent := range tables {
		t := &tableOut{ent: ent, path: filepath.Join(dir, ent.fileName())}
		f, err := os.Create(t.path)
		if err != nil {
			w.abort()
			return nil, err
		}
		t.f = f
		w.outs = append(w.outs, t)
		fw, err := pqarrow.NewFileWriter(ent.arrowSchema(), f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
		if err != nil {
			w.abort()
			return nil, fmt.Errorf("%s: %w", t.path, err)
		}
		t.fw = fw
		t.rb = array.NewRecordBuilder(memory.DefaultAllocator, ent.arrowSchema())
	}
	return w, nil
}

// Add appends the rows of m, each starting with the provenance columns p.
func (w *Writer) Add(m *model.Model, p Provenance) error {
	if w.closed {
		return errors.New("Add after Close")
	}
	for _, t := range w.outs {
		n := t.ent.appendRows(t.rb, m, &p)
		t.n += n
		t.rows += int64(n)
		if t.n >= RowGroupRows {
			if err := t.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Rows returns the number of rows added per table file name.
func (w *Writer) Rows() map[string]int64 {
	out := make(map[string]int64, len(w.outs))
	for _, t := range w.outs {
		out[t.ent.fileName()] = t.rows
	}
	return out
}

func (t *tableOut) flush() error {
	if t.n == 0 {
		return nil
	}
	rec := t.rb.NewRecordBatch()
	defer rec.Release()
	t.n = 0
	if err := t.fw.Write(rec); err != nil {
		return fmt.Errorf("%s: writing %d rows: %w", t.path, rec.NumRows(), err)
	}
	return nil
}

// Close writes the buffered rows and the files' footers. A table without
// rows is still a valid Parquet file with the table's schema.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	var errs []error
	for _, t := range w.outs {
		if err := t.flush(); err != nil {
			errs = append(errs, err)
		}
		t.rb.Release()
		if err := t.fw.Close(); err != nil { // closes t.f too
			errs = append(errs, fmt.Errorf("%s: %w", t.path, err))
		}
	}
	return errors.Join(errs...)
}

// abort closes and removes what Create made so far.
func (w *Writer) abort() {
	w.closed = true
	for _, t := range w.outs {
		if t.rb != nil {
			t.rb.Release()
		}
		t.f.Close()
		os.Remove(t.path)
	}
}

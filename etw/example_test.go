package etw_test

import (
	"fmt"
	"log"

	"github.com/ipctrace/ipctrace/etw"
)

// Reading every record of a trace in time order. Records are reused by the
// iterator: Clone the ones to keep.
func ExampleFile_Records() {
	f, err := etw.Open("trace.etl")
	if err != nil {
		log.Fatal(err) // not a trace at all
	}
	defer f.Close()
	h := f.Header()
	fmt.Println(h.OSVersion(), h.ClockType, "events lost:", h.EventsLost)
	for r, err := range f.Records(etw.TimeOrder()) {
		if err != nil {
			log.Print(err) // a skipped byte range; reading goes on
			continue
		}
		fmt.Println(etw.FormatFiletime(r.Time), r.CountKey(), len(r.Payload))
	}
}

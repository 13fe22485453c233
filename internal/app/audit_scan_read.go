package app

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/apiguard/apiguard/internal/auditlog"
	"github.com/apiguard/apiguard/internal/detect"
	"github.com/apiguard/apiguard/internal/report"
)

// How a file scan reads: decoding and matching in one goroutine or on
// several, and the progress line.

// scanSerial decodes and matches in this goroutine (--follow: after each
// event, flushed).
func scanSerial(r *auditlog.Reader, engine *detect.Engine, emit func(detect.Alert), onErr func(error), after func()) {
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			onErr(err)
			continue
		}
		for _, al := range engine.Process(ev) {
			al.Source = r.Position().String()
			emit(al)
		}
		after()
	}
}

// scanParallel decodes and matches on workers goroutines (0: one per
// CPU) and commits the matches in event order.
func scanParallel(r *auditlog.Reader, engine *detect.Engine, workers int, emit func(detect.Alert), onErr func(error)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := auditlog.NewParallel(r, workers, func() func(*auditv1.Event) []detect.Match {
		m := engine.NewMatcher()
		return func(ev *auditv1.Event) []detect.Match { return m.Match(ev, nil) }
	})
	defer p.Close()
	for {
		d, err := p.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if d.Err != nil {
			onErr(d.Err)
			continue
		}
		if len(d.Result) == 0 {
			continue
		}
		for _, al := range engine.Commit(d.Event, d.Result) {
			al.Source = d.Pos.String()
			emit(al)
		}
	}
}

// progress shows the scan's progress on o.Progress; it returns the
// function that stops and clears it.
func (o AuditScanOptions) progress(r *auditlog.Reader) func() {
	if o.Progress == nil {
		return func() {}
	}
	every := o.ProgressEvery
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	stop, done := make(chan struct{}), make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			st := r.Stats()
			el := time.Since(start).Seconds()
			line := fmt.Sprintf("%s events  %.0f events/s  %s", report.Thousands(st.Events), float64(st.Events)/el, report.HumanBytes(st.Bytes))
			if st.TotalBytes > 0 && !o.Follow {
				line += " of " + report.HumanBytes(st.TotalBytes)
				if st.Bytes > 0 && st.Bytes < st.TotalBytes {
					eta := time.Duration(el * float64(st.TotalBytes-st.Bytes) / float64(st.Bytes) * float64(time.Second))
					line += "  ETA " + eta.Round(time.Second).String()
				}
			}
			fmt.Fprintf(o.Progress, "\r\033[K%s", line)
		}
	}()
	return func() {
		close(stop)
		<-done
		fmt.Fprint(o.Progress, "\r\033[K")
	}
}

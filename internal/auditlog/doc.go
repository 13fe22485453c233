// Package auditlog reads kube-apiserver audit logs: JSON lines of
// audit.k8s.io/v1 Events or EventLists, plain or gzip, single files,
// directories of rotated logs (oldest first) and standard input, and
// follows a live log across rotation.
//
//	r, err := auditlog.Open("/var/log/kubernetes/audit/")    // or OpenWith(ctx, OpenOptions{Follow: true}, paths...)
//	for {
//		ev, err := r.Next()                                 // *auditv1.Event (k8s.io/apiserver/pkg/apis/audit/v1)
//		if errors.Is(err, io.EOF) { break }
//		var le *auditlog.LineError                          // an undecodable line: File, Line, Err; go on
//		var fe *auditlog.FileError                          // an input that cannot be read; go on
//		...
//		r.Position()                                        // file:line of ev
//	}
//	r.Stats()                                               // bytes (of TotalBytes), lines, events, bad lines; safe concurrently
//
//	d := auditlog.NewDecoder(reader, "name")                // one stream
//	ld := auditlog.NewLineDecoder(); evs, err := ld.DecodeEventList(body) // a webhook body
//	p := auditlog.NewParallel(r, workers, newWorker)        // decode (and match) on several cores, in order;
//	d, err := p.Next()                                      // d.Event valid until the next p.Next
//
// Decoding is exact (the events equal what kube-apiserver's own codec
// decodes; a fuzz test compares them) and fast: the event's fields are read
// directly, request and response bodies are kept raw (runtime.Unknown, as
// the server's codec does) for the rules that read them, their extent found
// 64 bytes at a time (bit masks of quotes, escapes and brackets, SSE2 on
// amd64), and values that repeat from event to event (users, groups,
// addresses, annotations, verbs, resources) are decoded once. Unknown and
// newer fields are skipped.
//
// Memory does not grow with the input, and a line is bounded (MaxLineBytes,
// 64 MiB by default). Reader.Next returns events the caller owns: lines
// are read into blocks released with the events that reference them.
// Parallel reads chunks of whole lines and recycles them, with the events
// decoded from them: an event it returns is valid until the next call to
// its Next.
package auditlog

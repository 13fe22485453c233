// Package fileinput opens the files apiguard's users name: on the command
// line, in a kubeconfig, inside a snapshot. It opens regular files only (a
// FIFO, a device or a socket would block the open or never end), reads at
// most a size that depends on what the file is expected to hold, and keeps
// the real cause in its errors (no such file, permission denied, too large,
// a FIFO), with the file's path.
//
// Every user-named file goes through ReadFile (whole files) or Open (files
// that are streamed, such as audit logs, which have no size limit); standard
// input, where a command documents "-", goes through ReadAll or
// ContextReader so that a signal ends the command even when the writer
// never closes the pipe.
package fileinput

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Kind is what a file is expected to hold, and the largest size accepted.
type Kind struct {
	// Name is the kind in plural, for messages: "audit policies".
	Name string
	// Limit is the largest size read, in bytes; 0 means no limit.
	Limit int64
}

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

// The limits of each kind of input, in bytes. They are documented for
// users in README.md ("Input limits"); change both together.
const (
	// FlagsFileLimit: a kube-apiserver argv. Linux bounds a command line by
	// ARG_MAX (2 MiB with the default 8 MiB stack).
	FlagsFileLimit = 4 * mib
	// ManifestLimit: static pod manifests, workload YAML, kubeadm
	// configuration, and the snapshot's manifests/. Real ones are kilobytes.
	ManifestLimit = 8 * mib
	// ConfigFileLimit: the files kube-apiserver's flags point to
	// (authentication, authorization, encryption, admission configuration,
	// audit policy, static token file), read under --root or from a snapshot.
	ConfigFileLimit = 8 * mib
	// AuditPolicyLimit: audit policies given to `audit policy` and
	// `audit scan --policy`. Real ones are a few KiB (kube-up's, the
	// largest known, is 7 KiB).
	AuditPolicyLimit = 4 * mib
	// KubeconfigLimit: each kubeconfig file of `kubeconfig audit`.
	KubeconfigLimit = 4 * mib
	// CertificateLimit: PEM certificates and CA bundles (--ca-file, the
	// client certificate or CA a kubeconfig names). A system CA bundle is
	// about 200 KiB.
	CertificateLimit = 4 * mib
	// TokenFileLimit: a bearer token file a kubeconfig names.
	TokenFileLimit = 64 * kib
	// RulesFileLimit: detection rules files (--rules).
	RulesFileLimit = 4 * mib
	// SnapshotLimit: a snapshot's snapshot.json or snapshot.yaml: cluster
	// facts, instances, problems, the credential inventory as metadata
	// (about 200 bytes a token Secret or CSR: 64 MiB holds 300,000; the
	// RBAC objects are in rbac/, under RBACDumpLimit).
	SnapshotLimit = 64 * mib
	// RBACDumpLimit: one `kubectl get ... -A -o json` file; the pods of a
	// large cluster run to hundreds of MiB.
	RBACDumpLimit = 1 * gib
	// CloudFileLimit: managed-cluster JSON and Terraform plans, which are
	// large for large estates.
	CloudFileLimit = 64 * mib
	// VersionsDataLimit: the release and CVE data file and feed files.
	VersionsDataLimit = 16 * mib
)

// The kinds of input.
var (
	FlagsFile    = Kind{"kube-apiserver argv files", FlagsFileLimit}
	Manifest     = Kind{"manifests", ManifestLimit}
	ConfigFile   = Kind{"kube-apiserver configuration files", ConfigFileLimit}
	AuditPolicy  = Kind{"audit policies", AuditPolicyLimit}
	Kubeconfig   = Kind{"kubeconfigs", KubeconfigLimit}
	Certificate  = Kind{"certificates", CertificateLimit}
	TokenFile    = Kind{"token files", TokenFileLimit}
	RulesFile    = Kind{"rules files", RulesFileLimit}
	Snapshot     = Kind{"snapshots", SnapshotLimit}
	RBACDump     = Kind{"RBAC dumps", RBACDumpLimit}
	CloudFile    = Kind{"cloud files", CloudFileLimit}
	VersionsData = Kind{"versions data files", VersionsDataLimit}
)

var (
	// ErrNotRegular is wrapped by the errors for a path that is not a
	// regular file (a FIFO, a device, a socket, a directory).
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge is wrapped by the errors for a file above its kind's limit.
	ErrTooLarge = errors.New("too large")
	// ErrInterrupted is returned when the context ended a read of standard input.
	ErrInterrupted = errors.New("interrupted")
)

// Error is a file that cannot be used, with the real cause.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Cause is err without its path (the *Error or *fs.PathError around it),
// for callers whose own message already names the file; it still matches
// errors.Is (fs.ErrNotExist, ErrTooLarge, ...).
func Cause(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e.Err
	}
	return cause(err)
}

// Reason is the message of Cause(err).
func Reason(err error) string { return Cause(err).Error() }

// notRegular says what a non-regular file is.
type notRegular struct{ what string }

func (n *notRegular) Error() string { return "is " + n.what + ", not a regular file" }
func (n *notRegular) Unwrap() error { return ErrNotRegular }

// tooLarge is a file above its kind's limit.
type tooLarge struct{ k Kind }

func (t *tooLarge) Error() string {
	return fmt.Sprintf("larger than %s (limit for %s)", Size(t.k.Limit), t.k.Name)
}
func (t *tooLarge) Unwrap() error { return ErrTooLarge }

// Size writes a byte count as the limits are documented: "4 MiB", "64 KiB".
func Size(n int64) string {
	switch {
	case n >= gib && n%gib == 0:
		return fmt.Sprintf("%d GiB", n/gib)
	case n >= mib && n%mib == 0:
		return fmt.Sprintf("%d MiB", n/mib)
	case n >= kib && n%kib == 0:
		return fmt.Sprintf("%d KiB", n/kib)
	}
	return fmt.Sprintf("%d bytes", n)
}

// checkMode refuses anything but a regular file.
func checkMode(m fs.FileMode) error {
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return &notRegular{"a directory"}
	case m&fs.ModeNamedPipe != 0:
		return &notRegular{"a named pipe (FIFO)"}
	case m&fs.ModeSocket != 0:
		return &notRegular{"a socket"}
	case m&fs.ModeCharDevice != 0:
		return &notRegular{"a character device"}
	case m&fs.ModeDevice != 0:
		return &notRegular{"a block device"}
	case m&fs.ModeIrregular != 0:
		return &notRegular{"a file of an unknown type"}
	}
	return &notRegular{"not a plain file (" + m.Type().String() + ")"}
}

// cause strips the operation and path of a *fs.PathError: Error adds the
// path once. The cause stays matchable (errors.Is(err, fs.ErrNotExist)).
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Stat returns the file information of path (symbolic links followed) when
// it is a regular file or a directory, for commands that accept directories;
// anything else is an *Error wrapping ErrNotRegular.
func Stat(path string) (fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Path: path, Err: cause(err)}
	}
	if st.IsDir() {
		return st, nil
	}
	if err := checkMode(st.Mode()); err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	return st, nil
}

// Open opens a regular file for reading (symbolic links followed). The
// path is checked before the open, and the open itself cannot block: it is
// non-blocking and the opened file is checked again, so a FIFO put in the
// file's place between the two is refused too. There is no size limit:
// use it for inputs that are streamed.
func Open(path string) (*os.File, error) {
	f, _, err := open(path)
	return f, err
}

func open(path string) (*os.File, fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, &Error{Path: path, Err: cause(err)}
	}
	if err := checkMode(st.Mode()); err != nil {
		return nil, nil, &Error{Path: path, Err: err}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil, nil, &Error{Path: path, Err: cause(err)}
	}
	st, err = f.Stat()
	if err == nil {
		err = checkMode(st.Mode())
	}
	if err != nil {
		f.Close()
		return nil, nil, &Error{Path: path, Err: cause(err)}
	}
	return f, st, nil
}

// ReadFile reads a regular file of kind k. A file above k.Limit is refused
// ("PATH: larger than 4 MiB (limit for audit policies)") without being read
// into memory. Files whose size the system does not report (/proc files)
// are read up to the limit.
func ReadFile(path string, k Kind) ([]byte, error) {
	f, st, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := st.Size()
	if k.Limit > 0 && size > k.Limit {
		return nil, &Error{Path: path, Err: &tooLarge{k}}
	}
	data, err := readLimited(f, size, k)
	if err != nil {
		return nil, &Error{Path: path, Err: cause(err)}
	}
	return data, nil
}

// readLimited reads r to its end into a buffer of the expected size (one
// byte more, so that reaching the end needs no growth: io.ReadAll would
// double its buffer, twice the memory for a large file), refusing more
// than k.Limit bytes.
func readLimited(r io.Reader, size int64, k Kind) ([]byte, error) {
	if size <= 0 {
		size = 512
	}
	data := make([]byte, 0, size+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // grown meanwhile, or no size known
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if k.Limit > 0 && int64(len(data)) > k.Limit {
			return nil, &tooLarge{k}
		}
		if errors.Is(err, io.EOF) {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// ReadAll reads r (standard input) to its end, bounded by k.Limit like a
// file of kind k. When ctx ends first it returns at once with an *Error
// wrapping ErrInterrupted, even if r never returns: a pipe whose writer
// stays open does not keep the command alive after a signal. name is the
// input in messages ("(stdin)").
func ReadAll(ctx context.Context, r io.Reader, name string, k Kind) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := readLimited(r, 0, k)
		done <- result{data, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			return nil, &Error{Path: name, Err: cause(res.err)}
		}
		return res.data, nil
	case <-ctx.Done():
		return nil, &Error{Path: name, Err: ErrInterrupted}
	}
}

// ContextReader returns a reader of r whose Read returns ErrInterrupted
// as soon as ctx ends, even while a Read of r is blocked (standard input
// whose writer is slow or never closes). r is read ahead by one goroutine
// into its own buffers, so a buffer passed to Read is never written after
// Read returned. Use it for pipes; regular files do not block.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return &ctxReader{ctx: ctx, r: r}
}

type chunk struct {
	b   []byte
	err error
}

type ctxReader struct {
	ctx  context.Context
	r    io.Reader
	ch   chan chunk
	cur  []byte
	err  error
	busy bool
}

func (c *ctxReader) pump() {
	defer close(c.ch)
	for {
		buf := make([]byte, 64*kib)
		n, err := c.r.Read(buf)
		select {
		case c.ch <- chunk{buf[:n], err}:
		case <-c.ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if len(c.cur) == 0 && c.err != nil {
		return 0, c.err
	}
	if !c.busy {
		c.busy = true
		c.ch = make(chan chunk)
		go c.pump()
	}
	for len(c.cur) == 0 && c.err == nil {
		if c.ctx.Err() != nil {
			c.err = ErrInterrupted
			break
		}
		select {
		case ck, ok := <-c.ch:
			if !ok {
				c.err = ErrInterrupted
				break
			}
			c.cur, c.err = ck.b, ck.err
		case <-c.ctx.Done():
			c.err = ErrInterrupted
		}
	}
	if len(c.cur) > 0 {
		n := copy(p, c.cur)
		c.cur = c.cur[n:]
		return n, nil
	}
	return 0, c.err
}

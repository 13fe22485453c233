// Command etcd is a thin wrapper around go.etcd.io/etcd/server/v3/etcdmain so
// the e2e lab can build a real etcd server binary from the Go module proxy.
// It lives in its own module so etcd's dependency graph cannot perturb the
// kubernetes one in test/e2e/go.mod.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}

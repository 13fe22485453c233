// Package nats keeps github.com/nats-io/nats-server/v2 in its own module
// (a tool directive), so that the e2e lab builds a real nats-server from the
// Go module proxy without its dependencies perturbing the kubernetes graph
// in test/e2e/go.mod: go build -o nats-server github.com/nats-io/nats-server/v2
package nats

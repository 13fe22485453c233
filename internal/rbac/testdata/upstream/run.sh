#!/usr/bin/env bash
# Differential test: internal/rbac against kube-apiserver's own RBAC
# authorizer and subject locator (k8s.io/kubernetes v1.36.3), on 3000
# random policies x 200 random requests. Uses test/e2e's module graph,
# which already holds k8s.io/kubernetes; needs the Go module proxy once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's#^module .*#module github.com/apiguard/apiguard/upstreamdiff#' "$root/test/e2e/go.mod" > "$tmp/go.mod"
cp "$root/test/e2e/go.sum" "$tmp/"
printf '\nrequire github.com/apiguard/apiguard v0.0.0\n\nreplace github.com/apiguard/apiguard => %s\n' "$root" >> "$tmp/go.mod"
cp "$here/diff_test.go" "$tmp/"
cd "$tmp"
GOFLAGS=-mod=mod go test -count=1 -v ./... 2>&1 | tail -n 5

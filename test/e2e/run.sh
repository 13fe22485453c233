#!/usr/bin/env bash
# Runs apiguard's end-to-end suite against real control planes started on
# 127.0.0.1. Called by .ci/run after the unit tests.
#
#   test/e2e/run.sh            # quiet
#   test/e2e/run.sh -v         # verbose; any extra args go to `go test`
#   test/e2e/run.sh -run 'TestLabSmoke/hardened' -v
#
# Works on a fresh machine (empty module and build caches: the first run
# builds etcd, kube-apiserver and kube-controller-manager, several minutes)
# and on a warm one (binaries cached in ${APIGUARD_E2E_CACHE:-$HOME/.cache/apiguard-e2e}).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

"${here}/build-binaries.sh" >/dev/null

cd "${here}"
exec go test -p "${APIGUARD_E2E_BUILD_P:-2}" -count=1 -timeout 60m "$@" ./...

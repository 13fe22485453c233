#!/usr/bin/env bash
# Builds the real control-plane binaries used by the e2e lab from the Go
# module proxy and caches them by version:
#
#   ${APIGUARD_E2E_CACHE:-$HOME/.cache/apiguard-e2e}/v1.36.3/{kube-apiserver,kube-controller-manager,etcd,nats-server}
#
# Idempotent: a binary is only built when it is missing or when the versions
# stamp (VERSIONS) differs. The first (cold) build takes several minutes; later
# runs return immediately. Prints the cache directory on stdout as last line.
#
# Env:
#   APIGUARD_E2E_CACHE   cache root (default $HOME/.cache/apiguard-e2e)
#   APIGUARD_E2E_BUILD_P go build -p value (default 2)
#   APIGUARD_E2E_REBUILD=1 force a rebuild
set -euo pipefail

KUBE_VERSION=v1.36.3   # must match k8s.io/kubernetes in test/e2e/go.mod
KUBE_MAJOR=1
KUBE_MINOR=36
ETCD_VERSION=v3.6.8    # must match go.etcd.io/etcd/server/v3 in tools/etcd/go.mod
NATS_VERSION=v2.15.3   # must match github.com/nats-io/nats-server/v2 in tools/nats/go.mod

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${APIGUARD_E2E_CACHE:-${HOME:-/tmp}/.cache/apiguard-e2e}"
out="${cache_root}/${KUBE_VERSION}"
par="${APIGUARD_E2E_BUILD_P:-2}"
stamp="kube=${KUBE_VERSION} etcd=${ETCD_VERSION} nats=${NATS_VERSION} go=$(go env GOVERSION)"

mkdir -p "${out}"

# Serialise concurrent builders (e.g. two test binaries starting at once).
if command -v flock >/dev/null 2>&1; then
	exec 9>"${out}/.lock"
	flock 9
fi

if [[ "${APIGUARD_E2E_REBUILD:-}" == 1 ]] || [[ "$(cat "${out}/VERSIONS" 2>/dev/null || true)" != "${stamp}" ]]; then
	rm -f "${out}/kube-apiserver" "${out}/kube-controller-manager" "${out}/etcd" "${out}/nats-server" "${out}/VERSIONS"
fi

export CGO_ENABLED=0
# Same version variables hack/lib/version.sh stamps, for both component-base
# and client-go, so /version and client user agents report the real release.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X ${pkg}.gitVersion=${KUBE_VERSION}"
	ldflags+=" -X ${pkg}.gitMajor=${KUBE_MAJOR}"
	ldflags+=" -X ${pkg}.gitMinor=${KUBE_MINOR}"
	ldflags+=" -X ${pkg}.gitTreeState=clean"
	ldflags+=" -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done

build() { # <module dir> <package> <output name> <ldflags>
	local dir="$1" pkg="$2" name="$3" flags="$4"
	if [[ -x "${out}/${name}" ]]; then
		return 0
	fi
	echo "build-binaries: building ${name} (${pkg}) into ${out} ..." >&2
	local start=${SECONDS}
	(cd "${dir}" && go build -p "${par}" -trimpath -ldflags "${flags}" -o "${out}/.${name}.tmp" "${pkg}")
	mv -f "${out}/.${name}.tmp" "${out}/${name}"
	echo "build-binaries: ${name} done in $((SECONDS - start))s" >&2
}

build "${here}" k8s.io/kubernetes/cmd/kube-apiserver kube-apiserver "${ldflags}"
build "${here}" k8s.io/kubernetes/cmd/kube-controller-manager kube-controller-manager "${ldflags}"
build "${here}/tools/etcd" . etcd "-s -w"
build "${here}/tools/nats" github.com/nats-io/nats-server/v2 nats-server "-s -w"

echo "${stamp}" >"${out}/VERSIONS"
echo "${out}"

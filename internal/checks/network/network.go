// Package network holds the checks of the network-exposure layer: who can
// reach kube-apiserver, over what TLS, and what its endpoints reveal.
package network

import "github.com/apiguard/apiguard/internal/check"

// All returns the layer's checks in ID order.
func All() []check.Check {
	return []check.Check{
		BindAddress,
		TLSMinVersion,
		TLSCipherSuites,
		TLSServingCert,
		ProfilingDisabled,
		KubeletCA,
		EtcdClientCert,
		EtcdCA,
		EtcdTLS,
		RequestTimeout,
		DenyServiceExternalIPs,
		InsecurePort,
		AnonymousExposure,
		EndpointTLSVersions,
		EndpointWeakCiphers,
		EndpointCertificate,
		EndpointSANs,
		EndpointPublic,
		CloudOpen,
		CloudPrivate,
		SecurePort,
	}
}

package rbac

import (
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	authuser "k8s.io/apiserver/pkg/authentication/user"
)

// Well-known identities.
const (
	Anonymous                = authuser.Anonymous          // system:anonymous
	AllAuthenticated         = authuser.AllAuthenticated   // system:authenticated
	AllUnauthenticated       = authuser.AllUnauthenticated // system:unauthenticated
	AllServiceAccountsGroup  = serviceaccount.AllServiceAccountsGroup
	serviceAccountUserPrefix = serviceaccount.ServiceAccountUsernamePrefix
)

// ServiceAccountUsername is "system:serviceaccount:NS:NAME", the user name
// a ServiceAccount's tokens authenticate as.
func ServiceAccountUsername(namespace, name string) string {
	return serviceaccount.MakeUsername(namespace, name)
}

// SplitServiceAccountUsername returns the namespace and name of a
// ServiceAccount user name, or ok=false for any other user.
func SplitServiceAccountUsername(username string) (namespace, name string, ok bool) {
	ns, n, err := serviceaccount.SplitUsername(username)
	return ns, n, err == nil
}

// EffectiveGroups returns groups plus the implicit groups kube-apiserver's
// authentication adds to user:
//
//   - ServiceAccount users (system:serviceaccount:NS:NAME) are in
//     system:serviceaccounts and system:serviceaccounts:NS (the token
//     authenticator's serviceaccount.MakeGroupNames, also added on
//     impersonation when no group is given);
//   - system:anonymous is in system:unauthenticated
//     (authentication/request/anonymous);
//   - everyone else is in system:authenticated, unless the groups already
//     hold system:authenticated or system:unauthenticated
//     (authentication/group/authenticated_group_adder.go).
//
// The result is a new slice without duplicates, in a stable order.
func EffectiveGroups(username string, groups []string) []string {
	out := make([]string, 0, len(groups)+3)
	add := func(g string) {
		for _, x := range out {
			if x == g {
				return
			}
		}
		out = append(out, g)
	}
	for _, g := range groups {
		add(g)
	}
	if ns, _, ok := SplitServiceAccountUsername(username); ok {
		for _, g := range serviceaccount.MakeGroupNames(ns) {
			add(g)
		}
	}
	if username == Anonymous {
		add(AllUnauthenticated)
		return out
	}
	for _, g := range out {
		if g == AllAuthenticated || g == AllUnauthenticated {
			return out
		}
	}
	add(AllAuthenticated)
	return out
}

// Package auditserve is the receiver for kube-apiserver's audit webhook
// backend (--audit-webhook-config-file): `apiguard audit serve`.
//
// kube-apiserver POSTs audit.k8s.io/v1 EventList batches (up to 400 events by
// default) and retries a batch on any error: five attempts with exponential
// backoff from 10s, each attempt itself retried up to ten times by client-go
// when the answer is 429 or 5xx with a Retry-After header. The receiver is
// built on those semantics:
//
//   - it authenticates the API server (a client certificate verified against a
//     CA, optionally restricted to names, or a bearer token compared in
//     constant time);
//   - it bounds the body (413), the number of bodies being decoded at once
//     and the queue (events and bytes);
//   - it acknowledges (200) only a batch it has queued entirely, and answers
//     429 with Retry-After when the queue cannot take the whole batch, so the
//     server keeps the events and sends them again;
//   - it drops events it has already queued: a batch is re-sent when its 200
//     was lost. The key is the (auditID, stage) pair plus the request's
//     timestamps, verb, URI, user and source IPs, hashed to 128 bits, kept in
//     a window bounded in time and count. kube-apiserver takes the auditID
//     from the client's Audit-ID request header when there is one, so the
//     pair alone would let a client make its own event look like a retry of
//     an earlier one and have it dropped;
//   - the rule conditions are matched in the request goroutines (so on
//     every core) when the engine offers it (Matching); one worker commits
//     the matches in queue order to the engine's windows and de-duplication
//     and sends the alerts to the sinks; on shutdown the receiver stops
//     accepting, processes everything queued, flushes the engine and returns.
package auditserve

//! Fidelity suite: the fake API server checked with independent clients — the real `kubectl`
//! (skipped with a message where it is not installed) and kube-rs — plus the server's own
//! test controls. Each assertion states what a real API server returns.

mod binary;
mod crds;
mod harness;
mod http;
mod kube_client;
mod kubectl_apply;
mod kubectl_read;
mod tools;

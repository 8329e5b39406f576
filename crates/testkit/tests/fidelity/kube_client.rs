//! The same objects seen through kube-rs (the executor's client) and kubectl.

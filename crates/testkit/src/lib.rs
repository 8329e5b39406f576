//! meshctl-testkit: an in-memory Kubernetes API server for tests (being built).

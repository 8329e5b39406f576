//! GitOps: SARIF, GitHub annotations, directories of topologies (see docs/gitops.md).

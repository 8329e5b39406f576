//! meshctl-executor: the live half of meshctl — kube clients per context, observe →
//! diff → apply of the desired-state graph, waits, and the external tools (kind, helm,
//! linkerd) behind one runner.
//!
//! Not built yet: the offline commands (validate, plan --offline, plan --base, render,
//! graph) need only `meshctl-core`. This crate is where the live executor lands.

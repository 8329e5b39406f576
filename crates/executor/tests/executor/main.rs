//! The executor against in-memory API servers (meshctl-testkit), one per cluster: what
//! it reads and writes is counted from the servers' request logs.

mod chaos;
mod common;
mod converge;
mod faults;
mod gateway;
mod interrupt;
mod lease;
mod lifecycle;
mod links;
mod ownership;
mod rollout;
mod session;
mod trust;
mod walkthrough;

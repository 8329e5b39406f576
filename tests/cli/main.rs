//! Black-box tests of the `meshctl` binary: what a user types, what a user sees.

mod certs;
mod common;
mod gitops;
mod live;
mod hostile;
mod plan;
mod schema;
mod validate;

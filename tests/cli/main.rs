//! Black-box tests of the `meshctl` binary: what a user types, what a user sees.

mod certs;
mod common;
mod errors;
mod gitops;
mod hostile;
mod live;
mod plan;
mod schema;
mod validate;

//! Black-box tests of the `meshctl` binary: what a user types, what a user sees.

mod common;
mod gitops;
mod schema;
mod validate;

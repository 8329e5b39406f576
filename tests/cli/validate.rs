//! `meshctl validate`.

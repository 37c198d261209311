//! Test support for Plugboard's end-to-end tests: a loopback API that serves one data set in
//! every pagination style.

pub mod api;

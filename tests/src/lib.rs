//! Test support for Plugboard's end-to-end tests: a loopback API that serves one data set in
//! every pagination style, and OAuth 2.0 peers (a real authorization server and a configurable
//! token endpoint) whose tokens the API can require, a fault-injection server, and a throwaway
//! PostgreSQL server.

pub mod api;
pub mod faults;
pub mod oauth;
pub mod postgres;

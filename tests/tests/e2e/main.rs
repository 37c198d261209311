//! End-to-end tests: definition -> finalize -> component -> host runtime -> real HTTP on
//! 127.0.0.1. One test binary (faster to link), one module per area.

mod support;

mod auth;
mod caches;
mod egress;
mod examples;
mod faults;
mod hostile;
mod import;
mod media;
mod oauth;
mod pagination;
mod requests;
mod trust;

//! The integration tests, one binary with a module a subject (`docs/testing.md` lists
//! them); `cargo test` links it once. The corpus stays as files under `tests/`.

#[path = "../support/http.rs"]
mod http;

mod amend_group;
mod bad_error_messages;
mod briefing;
mod browser;
mod cli;
mod common;
mod corpus;
mod coverage;
mod dates;
mod doc;
mod docs;
mod exact_inputs;
mod files;
mod fmt;
mod fuzz_regressions;
mod hostile;
mod limits;
mod lsp;
mod mutants;
mod mutations;
mod other_city;
mod parquet;
mod plan;
mod points;
mod properties;
mod rank;
mod records;
mod row_parser;
mod scorer;
mod scoring;
mod serve;
mod slow_policies;
mod xlsx;
mod year_forms;
mod zh;
mod zh_reports;

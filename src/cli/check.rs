//! `jifen check`: compile policies and report every problem.

use serde::Serialize;

use crate::load::ReadError;

use super::input::{help, policy_loader, policy_paths, read_file};
use super::{exit, stderr_color, width, Format};

/// Compile policy files and report every error and warning.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  jifen check policies/2025.policy\n  jifen check --deny-warnings policies/\n  \
jifen check --format json policies/*.policy\n  jifen check --format github policies/   # CI annotations\n\n\
Exit codes: 0 clean, 1 errors (or warnings with --deny-warnings), 4 a file not readable.")]
pub(crate) struct Args {
    /// Policy files or folders of them (default: policies/).
    #[arg(default_value = "policies")]
    pub paths: Vec<String>,
    /// Fail on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Serialize)]
struct FileReport {
    file: String,
    ok: bool,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<crate::diagnostic::JsonDiagnostic>,
    /// Why the file could not be read, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    unreadable: Option<String>,
}

pub(crate) fn run(args: Args, format: Format) -> u8 {
    let files = policy_paths(&args.paths);
    if files.is_empty() {
        super::fail("no policy files to check", Some("name .policy files or a folder that holds them"));
        return exit::FAILED;
    }
    let mut failed = false;
    let mut unreadable = false;
    let mut reports = Vec::new();
    for file in &files {
        let text = match read_file(file) {
            Ok((text, _)) => text,
            Err(e) => {
                unreadable = true;
                report_unreadable(format, file, &e, &mut reports);
                continue;
            }
        };
        let report = crate::check_with(file, &text, &policy_loader());
        let d = &report.diagnostics;
        let bad = d.has_errors() || (args.deny_warnings && d.warning_count() > 0);
        failed |= bad;
        match format {
            Format::Json => reports.push(FileReport {
                file: file.clone(),
                ok: !bad,
                errors: d.error_count(),
                warnings: d.warning_count(),
                diagnostics: d.to_json(),
                unreadable: None,
            }),
            Format::Github => out!("{}", d.render_github()),
            _ => {
                stderr_text!("{}", d.render_human(stderr_color(), width()));
                let status = if bad { "FAILED" } else { "ok" };
                let summary =
                    format!("{file}: {status} ({} error(s), {} warning(s))", d.error_count(), d.warning_count());
                stderr_line!("{}", crate::i18n::tr(&summary));
            }
        }
    }
    if format == Format::Json {
        match serde_json::to_string_pretty(&reports) {
            Ok(s) => outln!("{s}"),
            Err(_) => return exit::INTERNAL,
        }
    }
    if unreadable {
        exit::IO
    } else if failed {
        exit::FAILED
    } else {
        exit::OK
    }
}

fn report_unreadable(format: Format, file: &str, error: &ReadError, reports: &mut Vec<FileReport>) {
    let message = &error.to_string();
    match format {
        Format::Json => reports.push(FileReport {
            file: file.to_string(),
            ok: false,
            errors: 1,
            warnings: 0,
            diagnostics: Vec::new(),
            unreadable: Some(message.to_string()),
        }),
        Format::Github => outln!("::error file={file}::{message}"),
        _ => {
            let not_found =
                matches!(error, ReadError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound);
            let help = if not_found { "check the path; folders are searched for .policy files" } else { help(error) };
            super::fail(message, Some(help))
        }
    }
    if format == Format::Json {
        super::fail(message, None);
    }
}

//! `jifen fmt`: lay policies out in the one canonical layout, keeping every comment.

use std::fs::Metadata;
use std::io::Write;

use crate::fmt::fix::fix_source;
use crate::fmt::{format_source, FormatError};

use super::input::{io_reason, policy_loader, policy_paths, read_file, read_with_metadata};
use super::output::{Replacement, Target};
use super::{exit, stderr_color, stdout_color, width};

/// Lay policy files out in the one canonical layout, keeping every comment.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  jifen fmt policies/2025.policy           # print the formatted file\n  \
jifen fmt --write policies/              # rewrite every policy in place\n  \
jifen fmt --check policies/              # CI: exit 1 and list the files that would change\n  \
jifen fmt --diff policies/2024.policy    # show what would change\n  \
cat draft.policy | jifen fmt -           # standard input to standard output\n\n\
Without --write, --check or --diff, one file (or `-`) is printed to standard output.\n\
A file with syntax errors is not formatted: its errors are shown as `jifen check` shows them.\n\
With --fix, the suggestions of the diagnostics (`，` → `,`, `12800 元` → `12800 yuan`, `=` → `==`, \
`&&` → `and`, …) are applied first, round after round, and the result is formatted if it then \
parses; what was fixed and what remains are shown, and the exit code is 2 if errors remain.\n\n\
Exit codes: 0 done (or already formatted), 1 --check found files to format, 2 a syntax error or a wrong \
command line, 4 a file not readable or writable, 70 fmt could not keep a comment or the meaning (a bug; \
the file is left unchanged).")]
pub(crate) struct Args {
    /// Policy files or folders of them (default: policies/); `-` reads standard input.
    #[arg(default_value = "policies")]
    pub paths: Vec<String>,
    /// Rewrite the files in place (only those that change).
    #[arg(long, conflicts_with_all = ["check", "diff"])]
    pub write: bool,
    /// Change nothing; list the files that are not formatted and exit 1 if there are any.
    #[arg(long)]
    pub check: bool,
    /// Change nothing; show what formatting would change, as a unified diff.
    #[arg(long)]
    pub diff: bool,
    /// Apply the fixes the diagnostics suggest (look-alike characters, `元`, `12,800`, `=`, `&&`, …),
    /// then format; what was fixed and what remains are shown on standard error.
    #[arg(long)]
    pub fix: bool,
}

pub(crate) fn run(args: Args) -> u8 {
    let files = policy_paths(&args.paths);
    if files.is_empty() {
        super::fail("no policy files to format", Some("name .policy files, a folder that holds them, or `-`"));
        return exit::POLICY;
    }
    let print = !(args.write || args.check || args.diff);
    if print && files.len() > 1 {
        super::fail(
            &format!("`jifen fmt` prints one file, and {} were named", files.len()),
            Some("add --write to rewrite them in place, --check to list those not formatted, or --diff"),
        );
        return exit::POLICY;
    }
    if args.write && files.iter().any(|f| f == "-") {
        super::fail("--write cannot rewrite standard input", Some("leave out --write to print the result"));
        return exit::POLICY;
    }
    let mut worst = exit::OK;
    let mut unformatted = Vec::new();
    for file in &files {
        let (text, metadata) = match read_with_metadata(file) {
            Ok(t) => t,
            Err(code) => {
                worst = worst.max(code);
                continue;
            }
        };
        let shown = if file == "-" { "<stdin>" } else { file.as_str() };
        let formatted = if args.fix {
            let (fixed, code) = fix(file, shown, &text);
            worst = worst.max(code);
            fixed
        } else {
            match format_source(shown, &text) {
                Ok(f) => f,
                Err(e) => {
                    worst = worst.max(report(&e));
                    continue;
                }
            }
        };
        if print {
            out!("{formatted}");
            continue;
        }
        if formatted == text {
            continue;
        }
        unformatted.push(shown.to_string());
        if args.diff {
            out!("{}", unified_diff(shown, &text, &formatted, stdout_color()));
        }
        if args.check {
            if !args.diff {
                outln!("{shown}");
            }
        } else if args.write {
            match write_in_place(file, &text, metadata.as_ref(), &formatted) {
                Ok(()) => stderr_line!("formatted {file}"),
                Err(message) => {
                    super::fail(&message, None);
                    worst = worst.max(exit::IO);
                }
            }
        }
    }
    if args.check && !unformatted.is_empty() {
        stderr_line!("{} file(s) not formatted; run `jifen fmt --write` on them", unformatted.len());
        worst = worst.max(exit::FAILED);
    }
    worst
}

/// The file with the suggested fixes applied (and formatted if it then parses), after
/// telling what was fixed and what remains; with the exit code (2 if errors remain).
fn fix(file: &str, shown: &str, text: &str) -> (String, u8) {
    // `extends` is resolved against the file's own path, as `jifen check` resolves it.
    let fixed = fix_source(file, text, &policy_loader());
    // A line break in a replacement is shown as `\n`, so each fix stays on its line.
    let visible = |s: &str| s.replace('\n', "\\n").replace('\r', "\\r");
    for a in &fixed.applied {
        let change = match a.replacement.as_str() {
            "" => format!("deleted `{}`", visible(&a.was)),
            with if a.was.is_empty() => format!("inserted `{}`", visible(with)),
            with => format!("`{}` → `{}`", visible(&a.was), visible(with)),
        };
        let line = format!("{shown}:{}:{}: fixed: {} ({change})", a.line, a.column, a.message);
        stderr_line!("{}", crate::i18n::tr(&line));
    }
    let remaining = &fixed.remaining;
    stderr_text!("{}", remaining.render_human(stderr_color(), width()));
    let summary = format!(
        "{shown}: {} fix(es) applied; {} error(s), {} warning(s) remain{}",
        fixed.applied.len(),
        remaining.error_count(),
        remaining.warning_count(),
        if fixed.formatted { "" } else { " (not formatted: it does not parse)" }
    );
    stderr_line!("{}", crate::i18n::tr(&summary));
    let code = if remaining.has_errors() { exit::POLICY } else { exit::OK };
    (fixed.text, code)
}

/// Print why a file was not formatted; returns the exit code.
fn report(e: &FormatError) -> u8 {
    match e {
        FormatError::Syntax(s) => {
            stderr_text!("{}", s.diagnostics.render_human(stderr_color(), width()));
            super::fail(&e.to_string(), Some("fix the errors above, then format again"));
            exit::POLICY
        }
        _ => {
            let help = miette::Diagnostic::help(e).map(|h| h.to_string());
            super::fail(&e.to_string(), help.as_deref());
            exit::INTERNAL
        }
    }
}

/// Replace the file at `path`, read as `read` (described by `metadata`), by `formatted`:
/// through a temporary file beside the file a symbolic link leads to, keeping its mode,
/// and only if no one changed it since it was read (an editor saving meanwhile wins).
fn write_in_place(path: &str, read: &str, metadata: Option<&Metadata>, formatted: &str) -> Result<(), String> {
    let (dest, existing) = match Target::of(path)? {
        Target::Replace { dest, existing: Some(existing) } => (dest, existing),
        _ => return Err(format!("cannot rewrite `{path}`: it is not a regular file")),
    };
    if metadata.is_some_and(|m| !same_version(m, &existing)) {
        return Err(format!("`{path}` changed while it was formatted; it is left as it is (format it again)"));
    }
    let mut replacement = Replacement::begin(path, dest.clone(), Some(&existing))?;
    if let Some(writer) = replacement.writer.as_mut() {
        writer.write_all(formatted.as_bytes()).map_err(|e| format!("cannot write `{path}`: {}", io_reason(&e)))?;
    }
    replacement.commit(|| {
        let now = read_file(&dest.to_string_lossy());
        match now {
            Ok((text, Some(now))) if text == read && same_version(&existing, &now) => Ok(()),
            _ => Err(format!("`{path}` changed while it was formatted; it is left as it is (format it again)")),
        }
    })
}

/// Whether two looks at a file saw the same version of it: same file, length and time of change.
fn same_version(a: &Metadata, b: &Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (a.dev(), a.ino()) != (b.dev(), b.ino()) {
            return false;
        }
    }
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

fn unified_diff(name: &str, old: &str, new: &str, color: bool) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff.unified_diff().context_radius(3).header(name, &format!("{name} (formatted)")).to_string();
    if !color {
        return text;
    }
    text.lines()
        .map(|l| {
            let style = if l.starts_with("+++") || l.starts_with("---") {
                "1"
            } else if l.starts_with('+') {
                "32"
            } else if l.starts_with('-') {
                "31"
            } else if l.starts_with("@@") {
                "36"
            } else {
                return format!("{l}\n");
            };
            format!("\x1b[{style}m{l}\x1b[0m\n")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_saved_by_someone_else_while_formatting_is_left_as_they_saved_it() {
        // Before: fmt --write renamed its result over an edit saved while it ran.
        let dir = std::env::temp_dir().join(format!("jifen-fmt-saved-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.policy");
        let name = file.to_str().unwrap();
        std::fs::write(&file, "policy p \"p\" {   year 2025 }\n").unwrap();
        let (read, metadata) = read_file(name).unwrap();
        std::fs::write(&file, "// saved by an editor\n").unwrap();
        // Seen by comparing the file now with the one read (its length changed).
        let e = write_in_place(name, &read, metadata.as_ref(), "formatted\n").unwrap_err();
        assert!(e.ends_with("changed while it was formatted; it is left as it is (format it again)"), "{e}");
        // Without that first look, by the check of the content just before the rename.
        let e = write_in_place(name, &read, None, "formatted\n").unwrap_err();
        assert!(e.contains("changed while it was formatted"), "{e}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "// saved by an editor\n");
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, ["a.policy"], "no temporary file is left");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

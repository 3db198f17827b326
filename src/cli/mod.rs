//! The command line: parse arguments, call the library, render, exit. One file per verb.

/// `print!` that ends the process quietly when stdout is closed (`jifen … | head`).
macro_rules! out {
    ($($t:tt)*) => { $crate::cli::write_stdout(&format!($($t)*)) };
}

/// `println!` that ends the process quietly when stdout is closed.
macro_rules! outln {
    ($($t:tt)*) => {{ let mut s = format!($($t)*); s.push('\n'); $crate::cli::write_stdout(&s) }};
}

mod batch;
mod check;
mod completions;
mod diff;
mod diff_html;
mod diff_xlsx;
mod doc;
mod fmt;
mod gen;
mod input;
mod inputs;
mod lsp;
mod man;
mod output;
mod parquet;
mod plan;
mod rank;
mod render;
mod score;
mod serve;
mod test;
mod xlsx;

use std::io::IsTerminal;
use std::process::ExitCode;

use crate::i18n::tr;
use clap::{Parser, Subcommand, ValueEnum};

/// Exit codes, the same for every verb (documented in docs/cli.md).
pub(crate) mod exit {
    /// Success.
    pub(crate) const OK: u8 = 0;
    /// `check` found errors, or `test` had a failing test.
    pub(crate) const FAILED: u8 = 1;
    /// The policy does not compile (for verbs that need a compiled policy), or the
    /// command line is wrong.
    pub(crate) const POLICY: u8 = 2;
    /// The applicant data is invalid.
    pub(crate) const APPLICANT: u8 = 3;
    /// A file could not be read or written.
    pub(crate) const IO: u8 = 4;
    /// An internal error: a bug in jifen.
    pub(crate) const INTERNAL: u8 = 70;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Text for people, with source excerpts.
    Human,
    /// JSON for programs.
    Json,
    /// GitHub Actions workflow annotations (check and test).
    Github,
    /// JUnit XML (test).
    Junit,
    /// CSV (diff: one row per applicant).
    Csv,
}

#[derive(Debug, Parser)]
#[command(
    name = "jifen",
    version,
    about = "Compile, check and evaluate Shanghai residence-permit points policies (上海市居住证积分)",
    long_about = "jifen turns a year's points rules into a policy file that can be checked, tested \
and evaluated without changing code.\n\nWithout --policy, verbs that score use the 2025 policy \
bundled in the binary.",
    after_help = "Examples:\n  jifen check policies/\n  jifen score examples/applicant.json\n  \
jifen score --explain --policy policies/2024.policy examples/applicant.json\n  jifen test policies/\n\n\
Exit codes: 0 ok, 1 check/test failed, 2 policy does not compile or bad command line, \
3 invalid applicant, 4 file not readable/writable, 70 internal error.\nColour is off when NO_COLOR is set or output is not a terminal."
)]
pub(crate) struct Cli {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
    /// Let `extends` reach any policy inside DIR too (by default only the extending
    /// policy's own folder and those below it).
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) root: Option<std::path::PathBuf>,
    /// Largest policy or applicant file read, in bytes or with K, M, G [default: 64M, or
    /// JIFEN_MAX_FILE_SIZE].
    #[arg(long, global = true, value_name = "SIZE", value_parser = input::parse_size)]
    pub(crate) max_file_size: Option<u64>,
    /// Language of messages and reports: `en` or `zh-CN` [default: from LC_ALL,
    /// LC_MESSAGES or LANG (`zh_CN.UTF-8` gives Chinese), else English].
    #[arg(long, global = true, value_name = "LANG", value_parser = parse_lang)]
    pub(crate) lang: Option<crate::i18n::Lang>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

fn parse_lang(text: &str) -> Result<crate::i18n::Lang, String> {
    crate::i18n::Lang::parse(text)
        .ok_or_else(|| format!("`{text}` is not a language jifen writes; choose `en` or `zh-CN`"))
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    Check(check::Args),
    Score(score::Args),
    Test(test::Args),
    Batch(batch::Args),
    Gen(gen::Args),
    Diff(diff::Args),
    Inputs(inputs::Args),
    Doc(doc::Args),
    Fmt(fmt::Args),
    Completions(completions::Args),
    Man(man::Args),
    Plan(plan::Args),
    Rank(rank::Args),
    Lsp(lsp::Args),
    Serve(serve::Args),
}

/// Whether to colour output written to stderr/stdout.
pub(crate) fn use_color(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub(crate) fn stderr_color() -> bool {
    use_color(std::io::stderr().is_terminal())
}

pub(crate) fn stdout_color() -> bool {
    use_color(std::io::stdout().is_terminal())
}

/// Terminal width for rendering diagnostics.
pub(crate) fn width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|w| *w >= 40).unwrap_or(100)
}

/// The `jifen` command: reads the arguments and the environment, runs the verb, and returns
/// its exit code (the codes are documented in docs/cli.md). A panic is reported as a bug and
/// exits 70.
pub fn main() -> ExitCode {
    report_panics_as_bugs();
    // Unwinding (rather than exiting from the panic hook) drops what the command holds:
    // an output file not yet committed is removed, never left half-written.
    std::panic::catch_unwind(|| {
        // Lets the tests see how a bug is reported (tests/it/limits.rs); nothing else sets it.
        // (`batch` panics in the middle of `jifen batch` instead.)
        if std::env::var_os("JIFEN_TEST_INTERNAL_ERROR").is_some_and(|v| v != "batch") {
            panic!("JIFEN_TEST_INTERNAL_ERROR is set");
        }
        run()
    })
    .unwrap_or(ExitCode::from(exit::INTERNAL))
}

/// A panic is a bug in jifen: say so in words (`main` then exits 70, internal error),
/// instead of printing a Rust backtrace. `RUST_BACKTRACE` still shows one, for whoever
/// debugs it.
fn report_panics_as_bugs() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if CONTAINED.with(std::cell::Cell::get) {
            // [`contain_panics`] reports it, as what it is.
            return;
        }
        let what = panic_text(info.payload());
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        stderr_line!(
            "internal error: {what}{place}\n  \
             this is a bug in jifen; please report it with the command you ran and the input files"
        );
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            default_hook(info);
        }
    }));
}

thread_local! {
    /// Set while this thread runs code whose panics [`contain_panics`] reports itself.
    static CONTAINED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f`, a call into a crate that reads untrusted files and may panic on a damaged one
/// (the `parquet` crate indexes out of bounds on some corrupt pages): its panic is returned
/// as `Err(what it said)`, for the caller to report as a damaged input, not as a bug in
/// jifen. What `f` was working on must be given up after a panic.
pub(crate) fn contain_panics<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let was = CONTAINED.with(|c| c.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(was));
    result.map_err(|payload| panic_text(&*payload))
}

/// What a panic said.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string())
}

fn run() -> ExitCode {
    let cli = Cli::parse();
    crate::i18n::set_lang(cli.lang.unwrap_or_else(crate::i18n::Lang::from_env));
    let (verb, allowed): (&str, &[Format]) = match &cli.command {
        Command::Check(_) => ("check", &[Format::Human, Format::Json, Format::Github]),
        Command::Score(_) => ("score", &[Format::Human, Format::Json]),
        Command::Test(_) => ("test", &[Format::Human, Format::Json, Format::Junit, Format::Github]),
        Command::Batch(_) => ("batch", &[Format::Human]),
        Command::Gen(_) => ("gen", &[Format::Human]),
        Command::Diff(_) => ("diff", &[Format::Human, Format::Json, Format::Csv]),
        Command::Inputs(_) => ("inputs", &[Format::Human, Format::Json]),
        Command::Doc(_) => ("doc", &[Format::Human]),
        Command::Fmt(_) => ("fmt", &[Format::Human]),
        Command::Completions(_) => ("completions", &[Format::Human]),
        Command::Man(_) => ("man", &[Format::Human]),
        Command::Plan(_) => ("plan", &[Format::Human, Format::Json]),
        Command::Rank(_) => ("rank", &[Format::Human, Format::Json]),
        Command::Lsp(_) => ("lsp", &[Format::Human]),
        Command::Serve(_) => ("serve", &[Format::Human]),
    };
    if !allowed.contains(&cli.format) {
        let names: Vec<String> =
            allowed.iter().filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string())).collect();
        let extra = if verb == "batch" { "; choose the output with --output-format jsonl|csv" } else { "" };
        fail(
            &format!("`jifen {verb}` does not write --format {:?}", cli.format).to_lowercase(),
            Some(&format!("it writes: {}{extra}", names.join(", "))),
        );
        return ExitCode::from(exit::POLICY);
    }
    let max_file_size = match (cli.max_file_size, std::env::var("JIFEN_MAX_FILE_SIZE")) {
        (Some(size), _) => size,
        (None, Ok(text)) if !text.is_empty() => match input::parse_size(&text) {
            Ok(size) => size,
            Err(message) => {
                fail(&format!("JIFEN_MAX_FILE_SIZE: {message}"), Some("e.g. JIFEN_MAX_FILE_SIZE=256M"));
                return ExitCode::from(exit::POLICY);
            }
        },
        _ => crate::load::DEFAULT_MAX_FILE_SIZE,
    };
    if let Some(root) = &cli.root {
        if !root.is_dir() {
            fail(
                &format!("--root `{}` is not a folder", root.display()),
                Some("name the folder policies may extend from"),
            );
            return ExitCode::from(exit::POLICY);
        }
    }
    input::configure(crate::load::ConfinedLoader { root: cli.root.clone(), max_file_size });
    let code = match cli.command {
        Command::Check(args) => check::run(args, cli.format),
        Command::Score(args) => score::run(args, cli.format),
        Command::Test(args) => test::run(args, cli.format),
        Command::Batch(args) => batch::run(args),
        Command::Gen(args) => gen::run(args),
        Command::Diff(args) => diff::run(args, cli.format),
        Command::Inputs(args) => inputs::run(args, cli.format),
        Command::Doc(args) => doc::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
        Command::Plan(args) => plan::run(args, cli.format),
        Command::Rank(args) => rank::run(args, cli.format),
        Command::Lsp(args) => lsp::run(args),
        Command::Serve(args) => serve::run(args),
    };
    ExitCode::from(code)
}

/// Write to stdout; a closed pipe ends the process quietly, any other failure with exit 4.
pub(crate) fn write_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(exit::OK));
        }
        stderr_line!("error: cannot write to standard output: {e}");
        std::process::exit(i32::from(exit::IO));
    }
}

/// Print an error about the command's inputs (not a policy diagnostic) to stderr.
pub(crate) fn fail(message: &str, help: Option<&str>) {
    let color = stderr_color();
    let (word, help_word, colon) = match crate::i18n::lang() {
        crate::i18n::Lang::En => ("error", "help", ": "),
        crate::i18n::Lang::ZhCn => ("错误", "提示", "："),
    };
    let head = if color { format!("\x1b[1;31m{word}\x1b[0m") } else { word.to_string() };
    stderr_line!("{head}{colon}{}", tr(message));
    if let Some(h) = help {
        stderr_line!("  {help_word}{colon}{}", tr(h));
    }
}

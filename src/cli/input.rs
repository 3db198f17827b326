//! Reading files named on the command line (`-` is stdin) and finding policies.

use std::io::Read;
use std::path::{Path, PathBuf};

use jifen::{Diagnostics, RuleSet};

use super::{exit, fail, stderr_color, width};

/// Read a file, or stdin for `-`. On failure, prints the error and returns the exit code.
pub fn read(path: &str) -> Result<String, u8> {
    let bytes = if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(|e| {
            fail(&format!("cannot read standard input: {e}"), None);
            exit::IO
        })?;
        buf
    } else {
        std::fs::read(path).map_err(|e| {
            let help = if e.kind() == std::io::ErrorKind::NotFound {
                Some("check the path; use `-` to read from standard input")
            } else {
                None
            };
            fail(&format!("cannot read `{path}`: {}", io_reason(&e)), help);
            exit::IO
        })?
    };
    String::from_utf8(bytes).map_err(|e| {
        fail(
            &format!("`{path}` is not valid UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
            Some("save the file as UTF-8"),
        );
        exit::IO
    })
}

pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// Expand folders into the `.policy` files they hold (sorted), keep files as given.
pub fn policy_paths(paths: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map(|rd| {
                    rd.filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "policy"))
                        .collect()
                })
                .unwrap_or_default();
            found.sort();
            out.extend(found.into_iter().map(|p| p.to_string_lossy().to_string()));
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Compile the policy named by `--policy`, or the bundled 2025 policy. Diagnostics are
/// printed to stderr; the error value is the exit code.
pub fn load_policy(path: Option<&str>) -> Result<RuleSet, u8> {
    let result = match path {
        None => jifen::bundled_policy(),
        Some(p) => {
            let text = read(p)?;
            jifen::compile(p, &text)
        }
    };
    result.map_err(|diagnostics: Diagnostics| {
        eprint!("{}", diagnostics.render_human(stderr_color(), width()));
        fail(
            &format!("the policy does not compile ({} error(s))", diagnostics.error_count()),
            Some("run `jifen check` on it and fix the errors above"),
        );
        exit::POLICY
    })
}

//! What many modules share: the binary under test, the crate root, fresh temporary folders,
//! and a reader not jifen's own (Python) to check the files jifen writes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The `jifen` binary this test run built.
pub const BIN: &str = env!("CARGO_BIN_EXE_jifen");
/// The crate's root: fixtures are named from it, and commands run in it.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A fresh, empty folder under the system's temporary folder, unique per `tag` (the module's
/// name), test process and call, so modules running side by side never share one.
pub fn temp_dir(tag: &str) -> PathBuf {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("jifen-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot make {}: {e}", dir.display()));
    dir
}

/// Bytes a command wrote, as text (invalid UTF-8 shown, not refused).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Run a Python `script` in `dir` that needs `module`; `None` (after saying why) when Python
/// or the module is not installed, so the check skips rather than fails on such a machine.
pub fn python(module: &str, script: &str, dir: &Path) -> Option<String> {
    let probe = Command::new("python3").args(["-c", &format!("import {module}")]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: Python's {module} is not installed (pip install {module})");
        return None;
    }
    let out = Command::new("python3").args(["-c", script]).current_dir(dir).output().expect("run python3");
    assert!(out.status.success(), "python failed: {}", text(&out.stderr));
    Some(text(&out.stdout))
}

/// The item ids of the 2025 policy, in its order (applicant.md, "Item ids").
pub const ITEM_IDS: [&str; 17] = [
    "age",
    "education",
    "title_skill",
    "si_years",
    "startup_talent",
    "innovation_intermediary",
    "shortage_major",
    "invest_tax_or_jobs",
    "si_base",
    "public_service",
    "remote_area",
    "fresh_graduate",
    "award",
    "spouse_hukou",
    "false_material",
    "detention",
    "minor_crime",
];

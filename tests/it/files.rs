//! The files jifen reads and writes, under attack: `extends` stays inside the policy's
//! folder tree and reads only `.policy` files; every read is bounded and takes only
//! regular files; `-o` and `fmt --write` never replace a device, a FIFO, an input, a
//! read-only file or a symbolic link, never follow a planted temporary file, and leave
//! nothing behind when interrupted.
#![cfg(unix)]

use crate::common::{text, BIN};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use jifen::{FsLoader, Loader};

const MESSY: &str = "policy p \"p\" {   year 2025 }\nlet   x =1+2 // three\n";
const TIDY: &str = "policy p \"p\" {\n    year      2025\n}\n\nlet x = 1 + 2 // three\n";

/// A policy whose second line is a syntax error: were it read through `extends`, the
/// diagnostic's excerpt would show `SECRET-LINE`.
const SECRET_POLICY: &str = "policy s \"s\" {\nSECRET-LINE here\n}\n";

fn extending(target: &str) -> String {
    format!("policy x \"x\" extends \"{target}\" {{\n    year 2025\n}}\n")
}

// ---------------------------------------------------------------- extends

#[test]
fn extends_refuses_an_absolute_path_to_a_file_that_is_not_a_policy() {
    // Before: `extends "/etc/ld.so.conf"` printed the file's first line in an excerpt.
    let dir = temp_dir();
    std::fs::write(dir.join("secret.conf"), "SECRET-LINE\n").unwrap();
    let policy = dir.join("x.policy");
    std::fs::write(&policy, extending(&dir.join("secret.conf").to_string_lossy())).unwrap();
    let out = jifen(&["check", path(&policy)], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is not a `.policy` file; `extends` reads policy files only"), "{stderr}");
    assert!(!stderr.contains("SECRET"), "{stderr}");
}

#[test]
fn extends_does_not_climb_out_of_the_policy_folder_unless_root_allows_it() {
    // sub/x.policy extends "../outer": outside sub/, so refused unread; `--root DIR`
    // widens the tree to DIR, and then outer.policy is read (its excerpt shows).
    let dir = temp_dir();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("outer.policy"), SECRET_POLICY).unwrap();
    let policy = dir.join("sub/x.policy");
    std::fs::write(&policy, extending("../outer")).unwrap();
    let out = jifen(&["check", path(&policy)], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is outside") && stderr.contains("--root DIR"), "{stderr}");
    assert!(!stderr.contains("SECRET"), "{stderr}");

    let out = jifen(&["check", "--root", path(&dir), path(&policy)], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("SECRET-LINE"), "with --root the parent is read: {stderr}");
}

#[test]
fn extends_out_of_the_folder_does_not_tell_whether_the_file_exists() {
    // Before: `extends "/etc/passwd"` answered "cannot read `/etc/passwd.policy`: no such
    // file", and `extends "../x"` the same: whether a file outside the tree exists was told.
    let dir = temp_dir();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("there.policy"), SECRET_POLICY).unwrap();
    let from = dir.join("sub/x.policy");
    let absent = dir.join("absent");
    for target in ["../there", "../absent", "/etc/passwd", &absent.to_string_lossy()] {
        let e = FsLoader.load(path(&from), target).unwrap_err();
        assert!(e.contains("` is outside `") && !e.contains("no such file"), "{target}: {e}");
    }
    // Inside the folder, a missing file is still said to be missing.
    let e = FsLoader.load(path(&from), "missing").unwrap_err();
    assert!(e.contains("no such file"), "{e}");
}

#[test]
fn extends_through_a_symbolic_link_to_proc_self_environ_prints_no_environment() {
    // Before: env.policy -> /proc/self/environ printed environment variables (CI secrets).
    let dir = temp_dir();
    std::os::unix::fs::symlink("/proc/self/environ", dir.join("env.policy")).unwrap();
    let policy = dir.join("x.policy");
    std::fs::write(&policy, extending("env")).unwrap();
    let out = Command::new(BIN)
        .args(["check", path(&policy)])
        .env("NO_COLOR", "1")
        .env("JIFEN_TEST_SECRET", "hunter2-do-not-print")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is a symbolic link to a file outside"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn extends_through_a_link_inside_the_folder_reads_only_a_policy_it_leads_to() {
    // A link named like a policy but leading to another kind of file is refused; one
    // leading outside the folder is refused even when the target is a `.policy`.
    let dir = temp_dir();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/notes.txt"), "SECRET-LINE\n").unwrap();
    std::fs::write(dir.join("outer.policy"), SECRET_POLICY).unwrap();
    std::os::unix::fs::symlink(dir.join("sub/notes.txt"), dir.join("sub/notes.policy")).unwrap();
    std::os::unix::fs::symlink(dir.join("outer.policy"), dir.join("sub/outer.policy")).unwrap();
    let from = dir.join("sub/x.policy");
    let from = path(&from);
    let e = FsLoader.load(from, "notes").unwrap_err();
    assert!(e.contains("which is not a `.policy` file"), "{e}");
    let e = FsLoader.load(from, "outer").unwrap_err();
    assert!(e.contains("is a symbolic link to a file outside"), "{e}");
}

#[test]
fn extends_of_a_fifo_is_refused_at_once_by_the_loader_the_language_server_uses() {
    // Before: the open blocked for ever (and froze the language server).
    let dir = temp_dir();
    mkfifo(&dir.join("pipe.policy"));
    let from = dir.join("x.policy");
    let start = Instant::now();
    let e = FsLoader.load(path(&from), "pipe").unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(e.ends_with("is a FIFO (named pipe), not a file"), "{e}");

    std::fs::write(&from, extending("pipe")).unwrap();
    let out = jifen(&["check", path(&from)], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

// ---------------------------------------------------------------- bounded reads

#[test]
fn check_and_batch_refuse_dev_zero_instead_of_reading_for_ever() {
    // Before: `check /dev/zero` grew to 10.8 GB; `batch /dev/zero` aborted out of memory.
    for args in [["check", "/dev/zero"], ["batch", "/dev/zero"]] {
        let out = jifen(&args, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {stderr}");
        assert!(stderr.contains("`/dev/zero` is a character device, not a file"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_fifo_named_as_a_policy_or_applicant_is_refused_not_waited_on() {
    let dir = temp_dir();
    let fifo = dir.join("pipe.policy");
    mkfifo(&fifo);
    for args in [vec!["check", path(&fifo)], vec!["score", "--policy", path(&fifo), "-"], vec!["score", path(&fifo)]] {
        let out = jifen(&args, b"{}");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {stderr}");
        assert!(stderr.contains("is a FIFO (named pipe), not a file"), "{args:?}: {stderr}");
    }
}

#[test]
fn files_and_standard_input_past_the_size_limit_are_refused() {
    // 2,000 bytes against a limit of 1K = 1,024 bytes: over; against 2000: exactly at it.
    let dir = temp_dir();
    let big = dir.join("big.policy");
    std::fs::write(&big, format!("{}\n", "/".repeat(1999))).unwrap();
    let out = jifen(&["--max-file-size", "1K", "check", path(&big)], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("is larger than the limit of 1024 bytes"), "{stderr}");
    assert!(stderr.contains("--max-file-size"), "{stderr}");

    let out = Command::new(BIN).args(["check", path(&big)]).env("JIFEN_MAX_FILE_SIZE", "1K").output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));

    // At the limit the file is read (and is then a policy with no header: exit 1).
    let out = jifen(&["--max-file-size", "2000", "check", path(&big)], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));

    let stdin = format!("{{\"age\": 30 {}}}", " ".repeat(2000));
    let out = jifen(&["--max-file-size", "1K", "score", "-"], stdin.as_bytes());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("standard input` is larger than the limit of 1024 bytes"), "{stderr}");
}

#[test]
fn a_size_that_is_not_a_size_is_a_command_line_error() {
    let out = jifen(&["--max-file-size", "lots", "check"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = Command::new(BIN).args(["check", "policies"]).env("JIFEN_MAX_FILE_SIZE", "0").output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("JIFEN_MAX_FILE_SIZE"), "{stderr}");
}

// ---------------------------------------------------------------- output files

#[test]
fn output_to_a_fifo_writes_into_it_and_leaves_it_a_fifo() {
    // Before: the temporary file was renamed over the FIFO, which became a regular file.
    let dir = temp_dir();
    let fifo = dir.join("out.fifo");
    mkfifo(&fifo);
    let mut reader = Command::new("cat").arg(&fifo).stdout(Stdio::piped()).spawn().unwrap();
    let out = jifen(&["gen", "--count", "2", "-o", path(&fifo)], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Had jifen not opened the FIFO, `cat` would wait for a writer for ever: 10 s at most.
    assert_eq!(wait(&mut reader, Duration::from_secs(10)), Some(0), "nothing was written into the FIFO");
    let mut got = String::new();
    std::io::Read::read_to_string(&mut reader.stdout.take().unwrap(), &mut got).unwrap();
    assert_eq!(got.lines().count(), 2);
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(entries(&dir), ["out.fifo"]);
}

#[test]
fn output_over_an_input_of_the_same_run_is_refused_and_the_input_kept() {
    // Before: `batch X -o X` replaced the input with the results.
    let dir = temp_dir();
    let people = dir.join("people.jsonl");
    let out = jifen(&["gen", "--count", "3", "-o", path(&people)], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let before = std::fs::read(&people).unwrap();
    let policy = dir.join("p.policy");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/2024.policy"), &policy).unwrap();
    let policy_before = std::fs::read(&policy).unwrap();
    // Through another name for the same file, too: a hard link.
    let alias = dir.join("alias.jsonl");
    std::fs::hard_link(&people, &alias).unwrap();
    for args in [
        vec!["batch", path(&people), "-o", path(&people)],
        vec!["batch", path(&people), "-o", path(&alias)],
        vec!["gen", "--policy", path(&policy), "-o", path(&policy)],
        vec!["diff", path(&policy), "policies/2025.policy", "-o", path(&policy)],
        // The applicants are opened after the output: caught before the rename.
        vec!["diff", "--applicants", path(&people), path(&policy), "policies/2025.policy", "-o", path(&people)],
    ] {
        let out = jifen(&args, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {stderr}");
        assert!(stderr.contains("is also an input of this command"), "{args:?}: {stderr}");
    }
    assert_eq!(std::fs::read(&people).unwrap(), before);
    assert_eq!(std::fs::read(&policy).unwrap(), policy_before);
    assert_eq!(entries(&dir), ["alias.jsonl", "p.policy", "people.jsonl"], "no temporary file left");
}

#[test]
fn output_through_a_symbolic_link_replaces_its_target_and_keeps_link_and_mode() {
    let dir = temp_dir();
    let target = dir.join("target.jsonl");
    std::fs::write(&target, "old\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.join("link.jsonl");
    std::os::unix::fs::symlink("target.jsonl", &link).unwrap();
    let out = jifen(&["gen", "--count", "2", "-o", path(&link)], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap().lines().count(), 2);
    assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o640);
}

#[test]
fn a_read_only_output_is_not_replaced() {
    let dir = temp_dir();
    let target = dir.join("kept.jsonl");
    std::fs::write(&target, "old\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = jifen(&["gen", "--count", "2", "-o", path(&target)], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("is read-only"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old\n");
}

#[test]
fn an_interrupted_output_leaves_no_temporary_file() {
    // Before: a kill half way left a 176 MB `.out.jifen-PID.tmp`. SIGTERM and SIGINT now
    // remove it, and jifen exits as the signal would have: 128 + 15, 128 + 2.
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let dir = temp_dir();
        let mut child = Command::new(BIN)
            .args(["gen", "--count", "100000000", "-o"])
            .arg(dir.join("out.jsonl"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while entries(&dir).is_empty() && start.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let temp = entries(&dir);
        assert!(temp.len() == 1 && temp[0].starts_with(".out.jsonl.") && temp[0].ends_with(".jifen.tmp"), "{temp:?}");
        let killed = Command::new("kill").args([format!("-{signal}"), child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        let status = wait(&mut child, Duration::from_secs(30));
        assert_eq!(status, Some(code), "SIG{signal}");
        assert_eq!(entries(&dir), Vec::<String>::new(), "SIG{signal}");
    }
}

#[test]
fn fmt_write_goes_through_a_symbolic_link_and_keeps_the_mode() {
    // Before: the link was replaced by a regular file, and the mode by the default one.
    let dir = temp_dir();
    let real = dir.join("real.policy");
    std::fs::write(&real, MESSY).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.join("link.policy");
    std::os::unix::fs::symlink("real.policy", &link).unwrap();
    let out = jifen(&["fmt", "--write", path(&link)], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&real).unwrap(), TIDY);
    assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn fmt_write_does_not_rewrite_a_read_only_file() {
    let dir = temp_dir();
    let file = dir.join("ro.policy");
    std::fs::write(&file, MESSY).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = jifen(&["fmt", "--write", path(&file)], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("is read-only"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), MESSY);
}

#[test]
fn fmt_write_is_not_redirected_by_a_link_planted_at_a_temporary_name() {
    // Before: the temporary file was `.NAME.jifen-fmt.tmp`; a link planted there made
    // fmt overwrite the file it led to (another user's 0600 file, left 0644).
    let dir = temp_dir();
    let victim = dir.join("victim");
    std::fs::write(&victim, "secret\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join(".messy.policy.jifen-fmt.tmp")).unwrap();
    let file = dir.join("messy.policy");
    std::fs::write(&file, MESSY).unwrap();
    let out = jifen(&["fmt", "--write", path(&file)], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), TIDY);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "secret\n");
    assert_eq!(std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(entries(&dir), [".messy.policy.jifen-fmt.tmp", "messy.policy", "victim"]);
}

// ---------------------------------------------------------------- helpers

/// Run jifen with `stdin`, killed (and the test failed) after 60 s: a hang is a failure.
fn jifen(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("JIFEN_MAX_FILE_SIZE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let id = child.id();
    let watchdog = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(60));
        let _ = Command::new("kill").args(["-KILL", &id.to_string()]).status();
    });
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(start.elapsed() < Duration::from_secs(60), "jifen {args:?} hung");
    drop(watchdog);
    writer.join().unwrap();
    out
}

/// The exit code of `child`, or `None` (and the child killed) after `limit`.
fn wait(child: &mut std::process::Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The names in a folder, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
    names.sort();
    names
}

/// A fresh folder under the system's temporary folder.
fn temp_dir() -> PathBuf {
    crate::common::temp_dir("files")
}

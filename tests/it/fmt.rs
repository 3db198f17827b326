//! `jifen fmt`: the layout is a fixed point, keeps the meaning and keeps every comment.
//!
//! Checked over every policy of the repository (policies/ and tests/*/good/), over
//! messy copies of 2024.policy, and over generated policies with comments and
//! whitespace in random places.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use jifen::internals::fmt::{format_source, FormatError};
use jifen::FsLoader;
use serde_json::Value as Json;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// policies/*.policy and tests/*/good/*.policy, as names relative to the crate root.
fn repository_policies() -> Vec<String> {
    let mut folders = vec![root().join("policies")];
    let mut features: Vec<PathBuf> = std::fs::read_dir(root().join("tests"))
        .expect("tests/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path().join("good")))
        .filter(|p| p.is_dir())
        .collect();
    features.sort();
    folders.extend(features);
    let mut out = Vec::new();
    for folder in folders {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .expect("folder is readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "policy"))
            .collect();
        files.sort();
        out.extend(files.iter().map(|p| p.strip_prefix(root()).unwrap_or(p).to_string_lossy().replace('\\', "/")));
    }
    assert!(out.len() > 10, "expected the policies of the repository, found {out:?}");
    out
}

fn read(name: &str) -> String {
    std::fs::read_to_string(root().join(name)).unwrap_or_else(|e| panic!("cannot read {name}: {e}"))
}

fn fmt(name: &str, text: &str) -> String {
    format_source(name, text).unwrap_or_else(|e| panic!("{name} does not format: {e}\n--- text ---\n{text}"))
}

/// The compiled rule set as JSON, without what depends on the layout: source lines
/// (`location`, `line`) and the source text of arms shown by traces (only their number).
fn compiled(name: &str, text: &str) -> Option<Json> {
    // `extends` is resolved against `name`, so run from the crate root.
    let report = jifen::check_with(&root().join(name).to_string_lossy(), text, &FsLoader);
    let mut json = serde_json::to_value(report.ruleset?).expect("a rule set serialises");
    fn blank(v: &mut Json) {
        match v {
            Json::Object(map) => {
                for (key, value) in map.iter_mut() {
                    match (key.as_str(), &value) {
                        ("location" | "line", _) => *value = Json::Null,
                        ("arms", Json::Array(arms)) => *value = Json::from(arms.len()),
                        _ => blank(value),
                    }
                }
            }
            Json::Array(items) => items.iter_mut().for_each(blank),
            _ => {}
        }
    }
    blank(&mut json);
    Some(json)
}

/// Every comment (`//`, `///`, `////`) outside strings, trailing blanks removed.
fn comments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut escaped = false;
        for (i, c) in line.char_indices() {
            if in_string {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_string = false,
                    _ => {}
                }
            } else if c == '"' {
                in_string = true;
            } else if line[i..].starts_with("//") {
                out.push(line[i..].trim_end().to_string());
                break;
            }
        }
    }
    out
}

/// Formatting `text` is a fixed point, compiles to the same rules and keeps every comment.
fn assert_formats_well(name: &str, text: &str) -> String {
    let once = fmt(name, text);
    let twice = fmt(name, &once);
    assert!(once == twice, "{name}: formatting is not idempotent\n--- once ---\n{once}\n--- twice ---\n{twice}");
    assert_eq!(comments(text), comments(&once), "{name}: comments lost or reordered\n--- formatted ---\n{once}");
    let (before, after) = (compiled(name, text), compiled(name, &once));
    assert!(before == after, "{name}: the formatted policy compiles differently\n--- formatted ---\n{once}");
    once
}

#[test]
fn every_repository_policy_formats_to_a_fixed_point_with_the_same_rules() {
    for name in repository_policies() {
        assert_formats_well(&name, &read(&name));
    }
}

#[test]
fn bundled_policies_are_formatted() {
    for name in ["policies/2024.policy", "policies/2025.policy"] {
        let text = read(name);
        let formatted = fmt(name, &text);
        assert!(
            formatted == text,
            "{name} is not formatted: run `jifen fmt --write policies/`\n{}",
            similar::TextDiff::from_lines(&text, &formatted).unified_diff()
        );
    }
}

#[test]
fn a_messy_copy_of_2024_comes_back_canonical() {
    let name = "policies/2024.policy";
    let canonical = fmt(name, &read(name));
    for seed in 1..=12 {
        let messy = mess_up(&canonical, seed);
        assert_ne!(messy, canonical, "seed {seed} changed nothing");
        assert_eq!(comments(&messy), comments(&canonical));
        let again = fmt(name, &messy);
        assert!(
            again == canonical,
            "seed {seed}: the messy copy formats differently\n{}",
            similar::TextDiff::from_lines(&canonical, &again).unified_diff()
        );
    }
}

#[test]
fn generated_policies_format_well() {
    for seed in 1..=300 {
        let text = generate(seed);
        let name = format!("tests/generated_{seed}.policy");
        let report = jifen::check_with(&name, &text, &FsLoader);
        assert!(
            report.ruleset.is_some(),
            "seed {seed}: the generated policy does not compile\n{}\n--- text ---\n{text}",
            report.diagnostics.render_human(false, 100)
        );
        let once = assert_formats_well(&name, &text);
        assert!(comments(&text).len() == comments(&once).len());
    }
}

#[test]
fn a_file_with_syntax_errors_is_not_formatted() {
    let text = "policy p \"p\" {\n}\n\nsection s {\n    item x \"x\" { 1 + }\n}\n";
    match format_source("broken.policy", text) {
        Err(FormatError::Syntax(e)) => {
            assert!(e.diagnostics.has_errors());
            assert!(e.diagnostics.render_human(false, 100).contains("E0101"));
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn comments_stay_next_to_what_they_annotate() {
    let text = "\
// File comment.

/// The policy.
policy p \"p\" { year 2025 // the year
  effective 2025-01-01 standard 120 }
input { a: int 0..=9 \"A\" // trailing
  // above b
  b: bool }
section s \"S\" {
  // above the item
  /// Doc of the item.
  item x \"X\" { // after the brace
    max(0, a) // after the body
    // before the closing brace
  }
  // last in the section
}
// End of file.
";
    let expected = "\
// File comment.

/// The policy.
policy p \"p\" {
    year      2025 // the year
    effective 2025-01-01
    standard  120
}

input {
    a: int 0..=9 \"A\" // trailing
    // above b
    b: bool
}

section s \"S\" {
    // above the item
    /// Doc of the item.
    item x \"X\" { // after the brace
        max(0, a) // after the body
        // before the closing brace
    }
    // last in the section
}
// End of file.
";
    assert_eq!(fmt("t.policy", text), expected);
}

#[test]
fn layout_of_blocks_arms_and_long_conditions() {
    let text = "policy p \"p\" { }
enum E { a \"A\", long_name \"L\", c }
input { e: E, n: int 0.., f: bool = false }
let k = when f => 1 else => when n > 3 => 2 else => 3
section s \"S\" cap 200 { item m \"M\" {
  requires n > 1 and n < 100000000 and not f or e in [a, long_name] and n != 5 \"a reason long enough to break\"
  match (e, f) { (a, _) => n, (long_name | c, true) => 1 (long_name|c, false) => when f => 1 else => 2 } cap 50 }
  best_of g \"G\" { m, m2 }
  item m2 \"M2\" { 0 } }
";
    let expected = "policy p \"p\" {
}

enum E {
    a         \"A\"
    long_name \"L\"
    c
}

input {
    e: E
    n: int 0..
    f: bool = false
}

let k =
    when f => 1
    else =>
        when n > 3 => 2
        else => 3

section s \"S\" cap 200 {
    item m \"M\" {
        requires n > 1 and n < 100000000 and not f or e in [a, long_name] and n != 5
            \"a reason long enough to break\"
        match (e, f) {
            (a, _)                => n,
            (long_name | c, true) => 1
            (long_name | c, false) =>
                when f => 1
                else => 2
        }
        cap 50
    }

    best_of g \"G\" { m, m2 }

    item m2 \"M2\" {
        0
    }
}
";
    assert_eq!(fmt("t.policy", text), expected);
}

// ---------------------------------------------------------------- the command

fn jifen(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("jifen runs");
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("stdin is written");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("jifen ends");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8 output");
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jifen-fmt-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

const MESSY: &str = "policy p \"p\" {   year 2025 }\nlet   x =1+2 // three\n";
const TIDY: &str = "policy p \"p\" {\n    year      2025\n}\n\nlet x = 1 + 2 // three\n";

#[test]
fn cli_prints_checks_diffs_and_writes() {
    let (code, out, _) = jifen(&["fmt", "-"], Some(MESSY));
    assert_eq!((code, out.as_str()), (0, TIDY));

    let dir = temp_dir("cli");
    let file = dir.join("messy.policy");
    let tidy = dir.join("tidy.policy");
    std::fs::write(&file, MESSY).expect("write");
    std::fs::write(&tidy, TIDY).expect("write");
    let folder = dir.to_string_lossy().to_string();
    let path = file.to_string_lossy().to_string();

    let (code, out, err) = jifen(&["fmt", "--check", &folder], None);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out.trim(), path);

    let (code, out, _) = jifen(&["fmt", "--diff", &path], None);
    assert_eq!(code, 0);
    assert!(out.contains("-let   x =1+2 // three") && out.contains("+let x = 1 + 2 // three"), "{out}");

    let (code, out, _) = jifen(&["fmt", &folder], None);
    assert_eq!(code, 2, "several files need a mode: {out}");

    let (code, _, err) = jifen(&["fmt", "--write", &folder], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), TIDY);
    assert!(err.contains("messy.policy") && !err.contains("tidy.policy"), "{err}");
    let leftovers: Vec<_> = std::fs::read_dir(&dir).expect("dir").filter_map(|e| e.ok()).collect();
    assert_eq!(leftovers.len(), 2, "no temporary file is left behind");

    let (code, _, _) = jifen(&["fmt", "--check", &folder], None);
    assert_eq!(code, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_shows_syntax_errors_and_exits_2() {
    let (code, out, err) = jifen(&["fmt", "-"], Some("policy p \"p\" {\n}\nlet x = \n"));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("E0101") && err.contains("not formatted"), "{err}");
}

// ---------------------------------------------------------------- random text

/// xorshift64*: a small deterministic generator, so a failing seed can be replayed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len() as u64) as usize]
    }
}

/// A copy of formatted `text` with blanks changed at random: spaces doubled or turned
/// into line breaks, spaces added inside brackets, indentation changed, blank lines
/// added between lines of code, trailing blanks and CRLF line ends. Comments, and the
/// blank lines around them (which `fmt` keeps), are left alone.
fn mess_up(text: &str, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let lines: Vec<&str> = text.lines().collect();
    let is_comment = |l: &str| l.trim_start().starts_with("//");
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if is_comment(line) || line.trim().is_empty() {
            out.push_str(line);
        } else {
            out.push_str(&" ".repeat(rng.below(9) as usize));
            out.push_str(&mess_up_code(line.trim_start(), &mut rng));
        }
        if rng.chance(10) {
            out.push_str(rng.pick(&[" ", "\t", "  "]));
        }
        out.push_str(if rng.chance(5) { "\r\n" } else { "\n" });
        let next = lines.get(i + 1).copied().unwrap_or("");
        let both_code = !is_comment(line) && !is_comment(next) && !line.trim().is_empty() && !next.trim().is_empty();
        if both_code && rng.chance(15) {
            out.push_str(&"\n".repeat(1 + rng.below(2) as usize));
        }
    }
    out
}

fn mess_up_code(line: &str, rng: &mut Rng) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if line[i..].starts_with("//") {
            // A trailing comment stays on its line, one space after the code.
            let code_end = out.trim_end().len();
            out.truncate(code_end);
            out.push(' ');
            out.push_str(&line[i..]);
            break;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            ' ' => {
                let next_is_comment = line[i..].trim_start().starts_with("//");
                // A unit stands on its number's line (`24 months`).
                let before_unit = out.ends_with(|c: char| c.is_ascii_digit())
                    && line[i..].trim_start().starts_with(|c: char| c.is_ascii_alphabetic());
                if !next_is_comment && !before_unit && rng.chance(10) {
                    out.push('\n');
                    out.push_str(&" ".repeat(rng.below(12) as usize));
                } else {
                    out.push_str(&" ".repeat(1 + rng.below(3) as usize));
                }
            }
            '(' | '[' | ',' => {
                out.push(c);
                if rng.chance(30) && chars.peek().is_some_and(|(_, n)| *n != ' ') {
                    out.push(' ');
                }
            }
            ')' | ']' => {
                if rng.chance(30) && !out.ends_with(' ') {
                    out.push(' ');
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A random policy that compiles: the constructs of the language with random
/// expressions, comments (plain, four-slash, doc) and blanks between the tokens.
///
/// It is written with two markers: `~` where blanks (maybe a comment) go, and `^` where
/// a doc comment may stand.
fn generate(seed: u64) -> String {
    let mut g = Generator { rng: Rng::new(seed), comments: 0, l1_defined: false };
    let mut t = String::new();
    t += "^policy~gen~\"生成 \\\"quoted\\\" \\\\ policy\"~{~year~2025~effective~2025-01-01~standard~120~}~";
    t += "^enum~Level~{~^low~\"低\"~^mid~\"中\",~^high~}~";
    t += "^param~rate~=~3~\"每年\"~";
    t += "^param~wage~=~12_307 yuan~";
    t += "^unit~hours~/~hour~\"小时\"~^unit~km~\"公里\"~decimal~";
    t += "^input~{~^a~:~int~0~..=~100~\"甲\"~^b~:~int~0..=50~=~0,~";
    t += "^m~:~months~0..~\"月数\"~^y~:~years?~0..~^o~:~int?~0..=10~";
    t += "^f~:~bool~=~false~^g~:~bool~^lv~:~Level~=~Level.low~\"级别\"~";
    t += "^h~:~hours~0..~=~0 hours~\"时长\"~^k~:~km~0..~=~0 km~}~";
    let l1 = g.int(3);
    g.l1_defined = true;
    t += &format!("^let~l1~=~{l1}~");
    let l2 = g.int_block(2);
    t += &format!("^let~l2~=~{l2}~");
    for s in 0..1 + g.rng.below(2) {
        let cap = if g.rng.chance(30) { "~cap~500" } else { "" };
        t += &format!("^section~s{s}~\"第{s}节\"{cap}~{{~");
        let items = 1 + g.rng.below(3);
        for i in 0..items {
            t += &g.item(&format!("i{s}_{i}"), s > 0 || i > 0);
            if i == 0 && items > 1 && g.rng.chance(50) {
                t += &format!("^best_of~g{s}~\"二选一\"~{{~i{s}_0,~i{s}_1~}}~");
            }
        }
        t += "}~";
    }
    t += "^section~minus~\"减分\"~deduction~{~^item~d~\"减\"~{~";
    let rate = g.rng.pick(&["-150", "-5", "-1_0"]);
    t += &format!("{rate}~*~b~}}~}}~");
    let (e1, v1) = (g.boolean(2), g.boolean(2));
    t += &format!("^eligibility~\"条件\"~{{~^require~r1~:~{e1}~\"理由 r1\"~}}~");
    t += &format!("^vetoes~{{~^veto~v1~:~{v1}~\"否决\"~}}~");
    t += "^test~\"例 1\"~{~given~{~a~:~30,~m~:~12 months,~g~:~true,~y~:~absent~}~";
    t += "expect~eligible~=~true,~item~d~=~0~expect~vetoed~=~false~}";
    g.render(&t)
}

struct Generator {
    rng: Rng,
    comments: usize,
    /// `l1` may be read (not inside its own definition).
    l1_defined: bool,
}

impl Generator {
    fn item(&mut self, name: &str, may_read_first: bool) -> String {
        let mut t = format!("^item~{name}~\"项 {name}\"~{{~");
        if self.rng.chance(20) {
            t += "allow~W0103~\"上限备用\"~";
        }
        for _ in 0..self.rng.below(3) {
            let condition = self.boolean(2);
            let reason = if self.rng.chance(20) { "很长的理由".repeat(12) } else { "理由".to_string() };
            t += &format!("^requires~{condition}~\"{reason}\"~");
        }
        let body = match self.rng.below(4) {
            0 => format!("max(~0,~{}~)", self.int(3)),
            1 => self.points_block(2),
            2 if may_read_first => format!("max(0,~points(~i0_0~)~-~{})", self.int(1)),
            _ => {
                let (x, y) = (self.nonneg(2), self.nonneg(2));
                format!("match~(lv,~f)~{{~(low,~_)~=>~{x}~(mid~|~high,~true)~=>~3,~(_,~false)~=>~{y}~}}")
            }
        };
        t += &body;
        if self.rng.chance(30) {
            t += "~cap~400";
        }
        t + "~}~"
    }

    /// Points that are never negative, as a block: a `when`, a `match` or a `max`.
    fn points_block(&mut self, depth: u32) -> String {
        match self.rng.below(3) {
            0 => {
                let (c1, r1) = (self.boolean(depth), self.nonneg(depth));
                let (c2, r2) = (self.boolean(depth), self.nonneg(depth));
                let otherwise =
                    if depth > 0 && self.rng.chance(30) { self.points_block(depth - 1) } else { self.nonneg(0) };
                format!("when~{c1}~=>~{r1}~when~{c2}~=>~{r2}~else~=>~{otherwise}")
            }
            1 => {
                let (x, y) = (self.nonneg(depth), self.nonneg(depth));
                format!("match~lv~{{~low~=>~{x}~mid~|~high~=>~{y}~}}")
            }
            _ => self.nonneg(depth),
        }
    }

    fn nonneg(&mut self, depth: u32) -> String {
        format!("max(~0,~{})", self.int(depth))
    }

    /// A whole-number expression (no unit).
    fn int(&mut self, depth: u32) -> String {
        if depth == 0 || self.rng.chance(25) {
            let leaf = self.rng.pick(&["a", "b", "rate", "l1", "7", "1_000", "(o~??~1)", "floor(a~/~3)"]);
            return if leaf == "l1" && !self.l1_defined { "b".to_string() } else { leaf.to_string() };
        }
        let d = depth - 1;
        match self.rng.below(12) {
            0 => format!("{}~+~{}", self.int(d), self.int(d)),
            1 => format!("{}~-~{}", self.int(d), self.int(d)),
            2 => format!("{}~*~{}", self.int(d), self.int(d)),
            3 => format!("-{}", self.int(d)),
            4 => format!("(~{}~)", self.int(d)),
            5 => format!("min({},~{})", self.int(d), self.int(d)),
            6 => format!("{}~per~year~of~{}", self.rng.pick(&["3", "2", "rate"]), self.months()),
            7 => format!("10~per~10~of~{}", self.int(d)),
            11 => format!("2~per~50 hours~of~{}", self.rng.pick(&["h", "(h~+~1 hour)"])),
            8 => format!("(when~{}~=>~{}~else~=>~{})", self.boolean(d), self.int(d), self.int(d)),
            9 => format!("match~lv~{{~high~=>~{}~_~=>~{}~}}", self.int(d), self.int(d)),
            _ => format!("floor(~{}~/~{})", self.int(d), self.rng.pick(&["2", "4", "0.5"])),
        }
    }

    fn months(&mut self) -> String {
        self.rng.pick(&["m", "(m~+~6 months)", "to_months(y~??~0 years)", "(m~-~1 months)"]).to_string()
    }

    fn boolean(&mut self, depth: u32) -> String {
        if depth == 0 || self.rng.chance(25) {
            return self
                .rng
                .pick(&[
                    "f",
                    "g",
                    "true",
                    "present(o)",
                    "lv~==~high",
                    "lv~!=~Level.low",
                    "lv~in~[low,~mid]",
                    "lv~not~in~[~high~]",
                    "m~>=~12 months",
                    "y~??~0 years~>~2 years",
                    "h~>=~100 hours",
                    "k~>~30.5 km",
                ])
                .to_string();
        }
        let d = depth - 1;
        match self.rng.below(6) {
            0 => format!("{}~and~{}", self.boolean(d), self.boolean(d)),
            1 => format!("{}~or~{}", self.boolean(d), self.boolean(d)),
            2 => format!("not~{}", self.boolean(d)),
            3 => format!("(~{}~)", self.boolean(d)),
            _ => {
                let op = self.rng.pick(&[">", ">=", "<", "<=", "==", "!="]);
                format!("{}~{op}~{}", self.int(d), self.int(d))
            }
        }
    }

    /// A block of ints for a `let`: sometimes a `when`.
    fn int_block(&mut self, depth: u32) -> String {
        if self.rng.chance(50) {
            format!("when~{}~=>~{}~else~=>~{}", self.boolean(depth), self.int(depth), self.int(depth))
        } else {
            self.int(depth)
        }
    }

    fn comment(&mut self) -> String {
        self.comments += 1;
        let n = self.comments;
        match self.rng.below(5) {
            0 => format!("//// c{n} ----"),
            1 => format!("//c{n} with \"quotes\" and // slashes"),
            2 => format!("// c{n} 注释"),
            _ => format!("// c{n}"),
        }
    }

    fn render(&mut self, template: &str) -> String {
        let mut out = String::new();
        for c in template.chars() {
            match c {
                '~' => {
                    let blank = match self.rng.below(100) {
                        0..=54 => " ".to_string(),
                        55..=64 => "   ".to_string(),
                        65..=74 => format!("\n{}", " ".repeat(self.rng.below(9) as usize)),
                        75..=79 => "\t".to_string(),
                        80..=87 => format!(" {}\n", self.comment()),
                        88..=94 => format!("\n{}\n", self.comment()),
                        _ => format!("\n\n{}\n\n", self.comment()),
                    };
                    out.push_str(&blank);
                }
                '^' => {
                    if self.rng.chance(25) {
                        self.comments += 1;
                        out.push_str(&format!("\n/// d{} 说明\n", self.comments));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('\n');
        out
    }
}

#[test]
fn generator_is_deterministic_and_varied() {
    assert_eq!(generate(7), generate(7));
    assert_ne!(generate(7), generate(8));
    let path = Path::new("tests/generated_7.policy");
    assert!(!root().join(path).exists(), "generated policies are never written to disk");
}

// ---------------------------------------------------------------- fmt --fix

/// A small policy as it should be written; `fmt --fix` must turn [`TYPED_ON_A_CHINESE_KEYBOARD`]
/// into exactly this, formatted.
const WRITTEN_RIGHT: &str = r#"policy demo "演示" {
    year 2025
    effective 2025-07-01
    standard 120
}

enum Education { none "无", bachelor "本科" }

input {
    age: int 16..=70 "年龄",
    education: Education = none "学历",
    has_permit: bool = false "居住证",
    wage: yuan 0.. = 0 yuan "月工资",
}

param average_wage = 12800 yuan "平均工资"
param wage_floor = 12800 yuan "工资下限"

section basic "基础指标" {
    item base "基础" {
        when education == bachelor and wage >= average_wage => 100
        else => 0
    }
    item young "青年" {
        when has_permit => max(age, 20) - 20
        else => 0
    }
}
"#;

/// The same policy with each fixable mistake of issue 16 made once: Chinese quotes, a
/// full-width comma, colon and brackets, `12800 元`, `12,800 yuan`, `=` for `==`, `&&`.
const TYPED_ON_A_CHINESE_KEYBOARD: &str = r#"policy demo “演示” {
    year 2025
    effective 2025-07-01
    standard 120
}

enum Education { none "无"， bachelor "本科" }

input {
    age： int 16..=70 "年龄",
    education: Education = none "学历",
    has_permit: bool = false "居住证",
    wage: yuan 0.. = 0 yuan "月工资",
}

param average_wage = 12800 元 "平均工资"
param wage_floor = 12,800 yuan "工资下限"

section basic "基础指标" {
    item base "基础" {
        when education = bachelor && wage >= average_wage => 100
        else => 0
    }
    item young "青年" {
        when has_permit => max（age, 20） - 20
        else => 0
    }
}
"#;

#[test]
fn fix_applies_every_suggestion_then_formats() {
    // Each of the ten mistakes is fixed by its diagnostic's suggestion: the look-alikes are
    // all reported in the first round, `=` and `&&` (syntax errors the parser meets one at
    // a time) in later rounds. What is left is the file as written right, formatted, with
    // its one warning (`wage_floor` is read nowhere), which no suggestion removes.
    let fixed = jifen::internals::fmt::fix_source("t.policy", TYPED_ON_A_CHINESE_KEYBOARD, &FsLoader);
    assert_eq!(fixed.text, fmt("t.policy", WRITTEN_RIGHT));
    assert!(fixed.formatted);
    let mut changes: Vec<(&str, &str)> =
        fixed.applied.iter().map(|a| (a.was.as_str(), a.replacement.as_str())).collect();
    changes.sort();
    let mut expected = vec![
        ("“", "\""),
        ("”", "\""),
        ("，", ","),
        ("：", ":"),
        ("元", "yuan"),
        ("12,800", "12800"),
        ("=", "=="),
        ("&&", "and"),
        ("（", "("),
        ("）", ")"),
    ];
    expected.sort();
    assert_eq!(changes, expected);
    assert!(!fixed.remaining.has_errors(), "{}", fixed.remaining);
    let codes: Vec<String> = fixed.remaining.list.iter().map(|d| d.code.to_string()).collect();
    assert_eq!(codes, ["W0106"]);
}

#[test]
fn fix_each_mistake_alone_checks_clean() {
    // Each mistake on its own, in the otherwise right policy: one fix, and then the file
    // checks with no error (the warning about `wage_floor` stays).
    let mistakes = [
        ("policy demo \"演示\"", "policy demo “演示”"),
        ("\"无\", bachelor", "\"无\"， bachelor"),
        ("age: int", "age： int"),
        ("max(age, 20)", "max（age, 20）"),
        ("= 12800 yuan \"平均", "= 12800 元 \"平均"),
        ("= 12800 yuan \"工资", "= 12,800 yuan \"工资"),
        ("education == bachelor", "education = bachelor"),
        ("bachelor and wage", "bachelor && wage"),
    ];
    for (right, wrong) in mistakes {
        let text = WRITTEN_RIGHT.replacen(right, wrong, 1);
        assert_ne!(text, WRITTEN_RIGHT, "{wrong}");
        assert!(jifen::check_with("t.policy", &text, &FsLoader).diagnostics.has_errors(), "{wrong} is an error");
        let fixed = jifen::internals::fmt::fix_source("t.policy", &text, &FsLoader);
        assert!(!fixed.remaining.has_errors(), "{wrong}: {}", fixed.remaining);
        assert_eq!(fixed.text, fmt("t.policy", WRITTEN_RIGHT), "{wrong}");
    }
}

#[test]
fn fix_leaves_what_it_cannot_fix_and_says_so() {
    // A Chinese item id has no suggestion (which ASCII id is meant cannot be guessed): the
    // full-width comma before it is still fixed, the id stays an error, the file is written
    // fixed but not formatted (it does not parse), and the exit code is 2.
    let text = TYPED_ON_A_CHINESE_KEYBOARD.replacen("item young", "item 青年", 1);
    let dir = temp_dir("fix");
    let file = dir.join("t.policy");
    std::fs::write(&file, &text).expect("written");
    let name = file.to_string_lossy().to_string();
    let (code, out, err) = jifen(&["fmt", "--fix", "--write", &name], None);
    assert_eq!(code, 2, "{err}");
    assert_eq!(out, "");
    assert!(err.contains("fixed: Unicode character '，' (Fullwidth Comma)"), "{err}");
    assert!(err.contains("(`&&` → `and`)"), "{err}");
    assert!(err.contains("`青年` is not a name jifen can read"), "{err}");
    assert!(err.contains("error(s), 0 warning(s) remain (not formatted: it does not parse)"), "{err}");
    let written = std::fs::read_to_string(&file).expect("read back");
    // Everything before the id was fixed in place, the layout untouched.
    let expected = WRITTEN_RIGHT.replacen("item young", "item 青年", 1);
    let upto = |s: &str| s[..s.find("item 青年").expect("the id")].to_string();
    assert_eq!(upto(&written), upto(&expected));
    // Standard input to standard output, and --check lists the file without changing it.
    let (code, out, _) = jifen(&["fmt", "--fix", "-"], Some(TYPED_ON_A_CHINESE_KEYBOARD));
    assert_eq!((code, out), (0, fmt("t.policy", WRITTEN_RIGHT)));
    std::fs::write(&file, TYPED_ON_A_CHINESE_KEYBOARD).expect("written");
    let (code, out, _) = jifen(&["fmt", "--fix", "--check", &name], None);
    assert_eq!((code, out.trim()), (1, name.as_str()));
    assert_eq!(std::fs::read_to_string(&file).expect("read back"), TYPED_ON_A_CHINESE_KEYBOARD);
    std::fs::remove_dir_all(&dir).expect("removed");
}

//! Messages in the reader's language: English (the default) or Simplified Chinese.
//!
//! The code writes every message once, in English, as it always has. The Chinese text of
//! each lives in one catalogue, `src/i18n/zh-CN.txt`: per code its title, and per English
//! text a template whose `{}` places capture the parts that vary (names in backticks,
//! numbers, labels in quotes), with the Chinese text that puts them back as `{1}`, `{2}`…
//! Renderers translate at the last moment (`localize`, [`tr`]); a text no template
//! matches stays English, and a test walks the corpus so that none does.
//!
//! The language is chosen once per process ([`set_lang`]): the CLI's `--lang`, else the
//! environment (`LC_ALL`, `LC_MESSAGES`, `LANG`), else English. [`with_lang`] renders one
//! piece of work in another language on the calling thread alone, leaving the process's
//! choice (and every other thread) as it was.

use std::borrow::Cow;
use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use crate::diagnostic::{Code, Diagnostic, Label};

/// A language jifen writes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    ZhCn,
}

impl Lang {
    /// `en`, `zh-CN` (also `zh`, `zh_CN`, any case); `None` for any other.
    pub fn parse(text: &str) -> Option<Lang> {
        let t = text.trim().to_ascii_lowercase().replace('_', "-");
        match t.as_str() {
            "en" | "en-us" | "en-gb" | "c" | "posix" => Some(Lang::En),
            "zh" | "zh-cn" | "zh-hans" | "zh-hans-cn" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// The language the environment asks for, as POSIX reads it: the first of `LC_ALL`,
    /// `LC_MESSAGES`, `LANG` that is set and not empty; Chinese when it starts with `zh`.
    pub fn from_env() -> Lang {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let chosen = var("LC_ALL").or_else(|| var("LC_MESSAGES")).or_else(|| var("LANG"));
        Lang::from_locale(chosen.as_deref().unwrap_or(""))
    }

    /// `zh_CN.UTF-8`, `zh_TW`, `zh` → Chinese; anything else → English.
    pub fn from_locale(locale: &str) -> Lang {
        let lower = locale.to_ascii_lowercase();
        if lower == "zh" || lower.starts_with("zh_") || lower.starts_with("zh-") || lower.starts_with("zh.") {
            Lang::ZhCn
        } else {
            Lang::En
        }
    }
}

static LANG: AtomicU8 = AtomicU8::new(0);

/// Choose the language of everything rendered from now on in this process.
pub fn set_lang(lang: Lang) {
    LANG.store(if lang == Lang::ZhCn { 1 } else { 0 }, Ordering::Relaxed);
}

thread_local! {
    /// The language [`with_lang`] chose for this thread, while it runs.
    static THREAD_LANG: Cell<Option<Lang>> = const { Cell::new(None) };
}

/// The language in force on this thread: [`with_lang`]'s while it runs, else the one chosen
/// with [`set_lang`] (English until then).
pub fn lang() -> Lang {
    if let Some(lang) = THREAD_LANG.with(Cell::get) {
        return lang;
    }
    if LANG.load(Ordering::Relaxed) == 1 {
        Lang::ZhCn
    } else {
        Lang::En
    }
}

/// Runs `work` with `lang` in force on this thread alone, then puts back what was in force
/// before (also when `work` panics). A library caller that renders one report in Chinese
/// while other threads render in English uses this rather than [`set_lang`].
pub fn with_lang<R>(lang: Lang, work: impl FnOnce() -> R) -> R {
    struct Restore(Option<Lang>);
    impl Drop for Restore {
        fn drop(&mut self) {
            THREAD_LANG.with(|cell| cell.set(self.0));
        }
    }
    let _restore = Restore(THREAD_LANG.with(|cell| cell.replace(Some(lang))));
    work()
}

/// `text` in the chosen language: its Chinese when Chinese is chosen and the catalogue has
/// it, else `text` itself.
pub fn tr(text: &str) -> Cow<'_, str> {
    match lang() {
        Lang::En => Cow::Borrowed(text),
        Lang::ZhCn => translate(text).map(Cow::Owned).unwrap_or(Cow::Borrowed(text)),
    }
}

/// The diagnostic in the chosen language (message, labels and help).
pub(crate) fn localize(d: &Diagnostic) -> Cow<'_, Diagnostic> {
    if lang() == Lang::En {
        return Cow::Borrowed(d);
    }
    let label = |l: &Label| Label { span: l.span, message: tr(&l.message).into_owned() };
    Cow::Owned(Diagnostic {
        message: tr(&d.message).into_owned(),
        primary: label(&d.primary),
        secondary: d.secondary.iter().map(label).collect(),
        help: d.help.as_deref().map(|h| tr(h).into_owned()),
        ..d.clone()
    })
}

/// A line of miette's report with its `help:` heading in Chinese (miette writes it in
/// English; only a line that starts with it, after indentation and colour, is changed).
pub(crate) fn help_heading(line: &str) -> String {
    let body = line.trim_start();
    let indent = &line[..line.len() - body.len()];
    for (en, zh) in [("help: ", "提示："), ("\x1b[36mhelp:\x1b[0m ", "\x1b[36m提示：\x1b[0m")] {
        if let Some(rest) = body.strip_prefix(en) {
            return format!("{indent}{zh}{rest}");
        }
    }
    line.to_string()
}

/// Items of a list of names or numbers joined as the chosen language writes them:
/// `a, b` in English, `a、b` in Chinese.
pub(crate) fn join_list(items: &[String]) -> String {
    items.join(if lang() == Lang::ZhCn { "、" } else { ", " })
}

/// Clauses (`name = value`) joined: `a = 1, b = 2` in English, `a = 1，b = 2` in Chinese.
pub(crate) fn join_clauses(items: &[String]) -> String {
    items.join(if lang() == Lang::ZhCn { "，" } else { ", " })
}

/// The title of a code in `lang` (`docs/errors.md`'s heading; `docs/zh/errors.md`'s).
#[cfg(test)]
pub(crate) fn title(code: Code, lang: Lang) -> Option<&'static str> {
    match lang {
        Lang::En => code.info().map(|i| i.title),
        Lang::ZhCn => catalogue().titles.iter().find(|(c, _)| *c == code.as_str()).map(|(_, t)| *t),
    }
}

/// What a code means, an example that produces it and its fix, in Chinese: the body of
/// `docs/zh/errors.md`, written in the catalogue next to the code's title.
#[derive(Debug, Default)]
pub(crate) struct CodeDoc {
    pub code: &'static str,
    /// Paragraphs, one `means` line each.
    pub means: Vec<&'static str>,
    /// The file name the example is checked as, and its text.
    pub example: Option<(String, String)>,
    pub fix: Option<&'static str>,
}

/// The Chinese doc of `code`, if the catalogue has one.
#[cfg(test)]
pub(crate) fn code_doc(code: Code) -> Option<&'static CodeDoc> {
    catalogue().docs.iter().find(|d| d.code == code.as_str())
}

/// The header every example without its own starts with (as in docs/errors.md).
#[cfg(test)]
const EXAMPLE_PRELUDE: &str =
    "policy demo \"示例\" {\n    year      2025\n    effective 2025-01-01\n    standard  0\n}\n";

/// `docs/zh/errors.md`: every code with its Chinese title, what it means, an example and
/// the fix, from the catalogue (a test compares the file with this; `JIFEN_BLESS=1 cargo
/// test --lib i18n` rewrites it). Each example is a `jifen,fails=CODE` or `jifen,warns=CODE`
/// block, which `tests/it/docs.rs` checks gives that code.
#[cfg(test)]
pub(crate) fn errors_md_zh() -> String {
    let mut out = String::from(
        "# 诊断代码\n\n<!-- 由 src/i18n/zh-CN.txt 生成，请勿手改：JIFEN_BLESS=1 cargo test --lib i18n -->\n\n\
         `jifen check` 发现的每个问题都有一个固定的代码。`E` 开头的是错误：政策文件不能使用，必须改正；\
         `W` 开头的是警告：文件可以使用，但很可能有疏漏（加上 `--deny-warnings` 时警告也算不通过）。\
         用 `--lang zh-CN`（或 `LANG=zh_CN.UTF-8`）运行 jifen，诊断就以中文显示；英文版见 \
         [docs/errors.md](../errors.md)。\n\n\
         每个代码下面依次是：它的意思、一个会出现这个代码的小例子、改法。\
         例子除非写了自己的 `policy` 头部，都以下面这个头部开头（`standard 0` 表示不设标准分，免得例子里出现 W0105）：\n\n",
    );
    out.push_str(&format!("```jifen,prelude\n{EXAMPLE_PRELUDE}```\n\n"));
    for info in crate::diagnostic::REGISTRY {
        let zh = title(info.code, Lang::ZhCn).unwrap_or(info.title);
        out.push_str(&format!("### {} — {zh}\n\n", info.code));
        let doc = code_doc(info.code);
        for paragraph in doc.map(|d| d.means.as_slice()).unwrap_or_default() {
            out.push_str(&format!("{paragraph}\n\n"));
        }
        if let Some((file, text)) = doc.and_then(|d| d.example.as_ref()) {
            let mark = if info.code.as_str().starts_with('W') { "warns" } else { "fails" };
            out.push_str(&format!("例子（`{file}`）：\n\n```jifen,name={file},{mark}={}\n{text}```\n\n", info.code));
        }
        if let Some(fix) = doc.and_then(|d| d.fix) {
            out.push_str(&format!("**改法：**{fix}\n\n"));
        }
        let allow = if info.allowable {
            format!("这个警告可以在 item 里用 `allow {} \"理由\"` 关闭。", info.code)
        } else {
            String::new()
        };
        out.push_str(&format!("英文标题：{}。{allow}\n\n", info.title));
    }
    out
}

/// `text`'s Chinese, when a template of the catalogue matches it.
#[doc(hidden)] // for the tests, through `jifen::internals::i18n`
pub fn translate(text: &str) -> Option<String> {
    translate_at(text, 0)
}

// ------------------------------------------------------------------ the catalogue

/// One English text with places, and its Chinese.
#[derive(Debug)]
pub(crate) struct Template {
    /// The English text cut at its `{}` places: one more piece than places.
    pieces: Vec<&'static str>,
    /// The Chinese text, with `{1}`, `{2}`… for the places.
    zh: &'static str,
    /// Line in the catalogue, for error messages of the tests.
    #[cfg_attr(not(test), allow(dead_code))]
    pub line: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Catalogue {
    pub titles: Vec<(&'static str, &'static str)>,
    /// Per code: what it means, an example and the fix (`means`, `example`, `fix`).
    pub docs: Vec<CodeDoc>,
    pub templates: Vec<Template>,
    /// Lines that do not parse, with why (a test requires none).
    pub problems: Vec<String>,
}

const ZH_CN: &str = include_str!("i18n/zh-CN.txt");

/// The Chinese catalogue, read once.
pub(crate) fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| parse_catalogue(ZH_CN))
}

/// The format: `#` comments; `title CODE = 标题`; per code `means CODE = 一段说明` (one
/// line a paragraph), `example CODE [FILE]` followed by the example's lines each after
/// `> ` (`>` alone for an empty line), `fix CODE = 改法`; and pairs of lines `en: …` then
/// `zh: …`.
fn parse_catalogue(text: &'static str) -> Catalogue {
    let mut out = Catalogue::default();
    let mut pending: Option<(&'static str, usize)> = None;
    // The code whose example the `>` lines continue.
    let mut example: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let line = line.trim_end();
        if let Some(rest) = line.strip_prefix('>') {
            let Some(doc) = example.and_then(|k| out.docs.get_mut(k)) else {
                out.problems.push(format!("line {n}: a `>` line belongs under `example CODE`"));
                continue;
            };
            if let Some((_, text)) = &mut doc.example {
                text.push_str(rest.strip_prefix(' ').unwrap_or(rest));
                text.push('\n');
            }
            continue;
        }
        example = None;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((word, rest)) =
            ["means ", "fix ", "example "].iter().find_map(|w| line.strip_prefix(w).map(|r| (*w, r)))
        {
            let (code, value) = match rest.split_once(" = ") {
                Some((code, value)) => (code.trim(), Some(value.trim())),
                None => (rest.split_whitespace().next().unwrap_or(""), None),
            };
            if Code::parse(code).is_none() {
                out.problems.push(format!("line {n}: `{code}` is not a code of the registry"));
                continue;
            }
            let k = match out.docs.iter().position(|d| d.code == code) {
                Some(k) => k,
                None => {
                    out.docs.push(CodeDoc { code, ..CodeDoc::default() });
                    out.docs.len() - 1
                }
            };
            let doc = &mut out.docs[k];
            match (word, value) {
                ("means ", Some(v)) => doc.means.push(v),
                ("fix ", Some(v)) if doc.fix.is_none() => doc.fix = Some(v),
                ("example ", None) if doc.example.is_none() => {
                    let file = rest.split_whitespace().nth(1).map_or(format!("zh-{code}.policy"), str::to_string);
                    doc.example = Some((file, String::new()));
                    example = Some(k);
                }
                ("fix ", Some(_)) | ("example ", None) => {
                    out.problems.push(format!("line {n}: {code} has its {} already", word.trim()))
                }
                _ => out
                    .problems
                    .push(format!("line {n}: write `means CODE = …`, `fix CODE = …` or `example CODE [FILE]`")),
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("title ") {
            match rest.split_once(" = ") {
                Some((code, title)) => out.titles.push((code.trim(), title.trim())),
                None => out.problems.push(format!("line {n}: write `title CODE = 标题`")),
            }
        } else if let Some(en) = line.strip_prefix("en: ") {
            if let Some((_, at)) = pending {
                out.problems.push(format!("line {at}: `en:` without its `zh:`"));
            }
            pending = Some((en, n));
        } else if let Some(zh) = line.strip_prefix("zh: ") {
            let Some((en, at)) = pending.take() else {
                out.problems.push(format!("line {n}: `zh:` without an `en:` above it"));
                continue;
            };
            let pieces: Vec<&'static str> = en.split("{}").collect();
            let places = pieces.len() - 1;
            if pieces.iter().all(|p| p.is_empty()) {
                out.problems.push(format!("line {at}: a template needs some fixed text"));
            } else if pieces.len() > 2 && pieces[1..pieces.len() - 1].iter().any(|p| p.is_empty()) {
                out.problems.push(format!("line {at}: two places `{{}}{{}}` side by side cannot be told apart"));
            } else if (1..=places).any(|k| !zh.contains(&format!("{{{k}}}")))
                || zh.contains(&format!("{{{}}}", places + 1))
            {
                out.problems.push(format!("line {n}: the Chinese must use each of {{1}}..{{{places}}} (and no other)"));
            }
            out.templates.push(Template { pieces, zh, line: at });
        } else {
            out.problems.push(format!("line {n}: not `title`, `means`, `example`, `fix`, `en:` or `zh:`"));
        }
    }
    if let Some((_, at)) = pending {
        out.problems.push(format!("line {at}: `en:` without its `zh:`"));
    }
    out
}

/// Deep enough for a list inside a message inside a help; a bound all the same.
const MAX_DEPTH: usize = 4;

fn translate_at(text: &str, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH || text.is_empty() {
        return None;
    }
    // The most specific template wins: the one with the most fixed text.
    let mut best: Option<(usize, &Template, Vec<&str>)> = None;
    for template in &catalogue().templates {
        let fixed: usize = template.pieces.iter().map(|p| p.len()).sum();
        if best.as_ref().is_some_and(|(f, _, _)| *f >= fixed) {
            continue;
        }
        let mut captures = Vec::new();
        if matches(&template.pieces, text, &mut captures) {
            best = Some((fixed, template, captures));
        }
    }
    let (_, template, captures) = best?;
    let mut out = template.zh.to_string();
    for (k, capture) in captures.iter().enumerate() {
        out = out.replace(&format!("{{{}}}", k + 1), &translate_part(capture, depth + 1));
    }
    Some(out)
}

/// A captured part: code and numbers stay; words are translated, as a whole or as a list
/// (`a number, `}` or a name` → `数字、`}` 或名称`).
fn translate_part(part: &str, depth: usize) -> String {
    if let Some((items, or_last)) = split_list(part) {
        if translate_at(part.trim(), depth).is_none() {
            let translated: Vec<String> = items.iter().map(|i| translate_part(i, depth + 1)).collect();
            if let Some((last, first)) = translated.split_last() {
                // `a, b or c` is a choice (`a、b 或 c`); `a, b, c` a list (`a、b、c`).
                let or = if or_last { "或" } else { "、" };
                return if first.is_empty() { last.clone() } else { format!("{}{or}{last}", first.join("、")) };
            }
        }
    }
    if is_verbatim(part) {
        return part.to_string();
    }
    if let Some(zh) = translate_at(part.trim(), depth) {
        return zh;
    }
    // One word the catalogue does not know is a name from the policy (a declared unit such
    // as `hours`): written as code, as the names an editor types are.
    let word = part.trim();
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return format!("`{word}`");
    }
    part.to_string()
}

/// Code in backticks, a number, a path: the same in every language.
fn is_verbatim(part: &str) -> bool {
    let p = part.trim();
    (p.starts_with('`') && p.ends_with('`') && p.matches('`').count() == 2)
        || p.chars().all(|c| !c.is_ascii_alphabetic())
}

/// `a, b or c` as its items, outside backticks and brackets, and whether the last of them
/// follows an `or`; `None` for one item.
fn split_list(text: &str) -> Option<(Vec<&str>, bool)> {
    let mut items = Vec::new();
    let mut or_last = false;
    let (mut start, mut depth, mut code) = (0, 0i32, false);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'`' => code = !code,
            b'(' | b'[' if !code => depth += 1,
            b')' | b']' if !code => depth -= 1,
            _ if code || depth != 0 => {}
            b',' if text[i..].starts_with(", ") => {
                items.push(&text[start..i]);
                i += 2;
                start = i;
                or_last = text[i..].starts_with("or ");
                continue;
            }
            b' ' if text[i..].starts_with(" or ") => {
                items.push(&text[start..i]);
                i += 4;
                start = i;
                or_last = true;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    items.push(&text[start..]);
    let items: Vec<&str> = items.into_iter().map(|i| i.trim_start_matches("or ")).filter(|i| !i.is_empty()).collect();
    (items.len() > 1).then_some((items, or_last))
}

/// Whether `text` is `pieces` with text in each place between them; the places' texts go
/// to `captures`, each as short as lets the rest match.
fn matches<'t>(pieces: &[&str], text: &'t str, captures: &mut Vec<&'t str>) -> bool {
    let Some((first, rest)) = pieces.split_first() else { return text.is_empty() };
    let Some(after) = text.strip_prefix(first) else { return false };
    let Some((next, _)) = rest.split_first() else { return after.is_empty() };
    if rest.len() == 1 && next.is_empty() {
        // The last place takes the rest of the text.
        if after.is_empty() {
            return false;
        }
        captures.push(after);
        return true;
    }
    for (at, _) in after.match_indices(next).filter(|(at, _)| *at > 0) {
        captures.push(&after[..at]);
        if matches(rest, &after[at..], captures) {
            return true;
        }
        captures.pop();
    }
    false
}

/// Words of English left in a translated text, outside code, quotes and paths: what the
/// tests call a fallback. Empty when the text reads as Chinese.
#[doc(hidden)] // for the tests, through `jifen::internals::i18n`
pub fn english_residue(text: &str) -> Vec<String> {
    let mut plain = String::new();
    let mut closing: Option<char> = None;
    for c in text.chars() {
        match closing {
            Some(end) if c == end => closing = None,
            Some(_) => {}
            None => match c {
                '`' => closing = Some('`'),
                '"' => closing = Some('"'),
                '\'' => closing = Some('\''),
                _ => plain.push(c),
            },
        }
    }
    plain
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '/' || c == '-'))
        .filter(|w| w.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 2)
        .filter(|w| !w.contains('/') && !w.contains('.') && !w.contains('_'))
        .filter(|w| !ALLOWED_WORDS.contains(w))
        .map(str::to_string)
        .collect()
}

/// Words that stay as they are in Chinese text: the language's keywords, types and
/// functions (what editors type), and names of encodings.
const ALLOWED_WORDS: &[&str] = &[
    "jifen",
    "Unicode",
    "UTF-8",
    "UTF-16",
    "GBK",
    "GB18030",
    "JSON",
    "YYYY-MM-DD",
    "item",
    "param",
    "let",
    "id",
    "int",
    "decimal",
    "bool",
    "true",
    "false",
    "min",
    "max",
    "floor",
    "present",
    "points",
    "to_months",
    "full_years",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// `with_lang` changes this thread's language while it runs, and no other thread's;
    /// after it (also after a panic inside it) the process's choice is back.
    #[test]
    fn with_lang_is_for_this_thread_and_this_closure() {
        let before = lang();
        with_lang(Lang::ZhCn, || {
            assert_eq!(lang(), Lang::ZhCn);
            assert_eq!(join_list(&["a".into(), "b".into()]), "a、b");
            let other = std::thread::spawn(lang).join().expect("thread");
            assert_eq!(other, before, "another thread keeps the process's language");
            with_lang(Lang::En, || assert_eq!(lang(), Lang::En));
            assert_eq!(lang(), Lang::ZhCn, "the inner choice is undone");
        });
        assert_eq!(lang(), before);
        let caught = std::panic::catch_unwind(|| with_lang(Lang::ZhCn, || panic!("inside")));
        assert!(caught.is_err());
        assert_eq!(lang(), before, "a panic inside still restores the language");
    }

    #[test]
    fn docs_zh_errors_md_is_generated_from_the_catalogue() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/zh/errors.md");
        let want = errors_md_zh();
        if std::env::var_os("JIFEN_BLESS").is_some() {
            std::fs::write(path, &want).expect("docs/zh/errors.md is writable");
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(have == want, "docs/zh/errors.md is stale: run `JIFEN_BLESS=1 cargo test --lib i18n`");
    }

    #[test]
    fn the_catalogue_parses() {
        let c = catalogue();
        assert!(c.problems.is_empty(), "src/i18n/zh-CN.txt:\n{}", c.problems.join("\n"));
        assert!(!c.templates.is_empty());
    }

    /// Every code of the registry has its Chinese title.
    #[test]
    fn every_code_has_a_chinese_title() {
        let missing: Vec<&str> = crate::diagnostic::REGISTRY
            .iter()
            .filter(|i| title(i.code, Lang::ZhCn).is_none_or(|t| t.is_empty()))
            .map(|i| i.code.as_str())
            .collect();
        assert!(missing.is_empty(), "add `title CODE = 标题` to src/i18n/zh-CN.txt for: {}", missing.join(", "));
        for (code, _) in &catalogue().titles {
            assert!(Code::parse(code).is_some(), "src/i18n/zh-CN.txt titles {code}, which the registry lacks");
        }
    }

    /// Every code has, in Chinese, what it means, an example and the fix (docs/zh/errors.md
    /// is made of them); only a code whose example cannot be small goes without one.
    #[test]
    fn every_code_has_a_chinese_explanation_example_and_fix() {
        const NO_SMALL_EXAMPLE: &[&str] = &["E0408"]; // 65000 declarations
        let mut missing = Vec::new();
        for info in crate::diagnostic::REGISTRY {
            let code = info.code.as_str();
            let doc = code_doc(info.code);
            if doc.is_none_or(|d| d.means.is_empty()) {
                missing.push(format!("means {code} = …"));
            }
            if doc.is_none_or(|d| d.fix.is_none()) {
                missing.push(format!("fix {code} = …"));
            }
            let example = doc.and_then(|d| d.example.as_ref()).is_some_and(|(_, t)| !t.trim().is_empty());
            if !example && !NO_SMALL_EXAMPLE.contains(&code) {
                missing.push(format!("example {code}"));
            }
        }
        assert!(missing.is_empty(), "add to src/i18n/zh-CN.txt, next to the code's title:\n{}", missing.join("\n"));
        for d in &catalogue().docs {
            let words: Vec<String> = d.means.iter().chain(d.fix.iter()).flat_map(|t| english_residue(t)).collect();
            assert!(words.is_empty(), "{}: write the explanation in Chinese (code in backticks): {words:?}", d.code);
        }
    }

    #[test]
    fn a_code_doc_parses_and_a_stray_example_line_is_a_problem() {
        let c = parse_catalogue(
            "title W0103 = 上限\nmeans W0103 = 甲\nmeans W0103 = 乙\nexample W0103 a.policy\n> x {\n>\n>     y\nfix W0103 = 丙\n> z\n",
        );
        let d = &c.docs[0];
        assert_eq!((d.code, d.means.clone(), d.fix), ("W0103", vec!["甲", "乙"], Some("丙")));
        assert_eq!(d.example, Some(("a.policy".to_string(), "x {\n\n    y\n".to_string())));
        assert_eq!(c.problems, vec!["line 9: a `>` line belongs under `example CODE`".to_string()]);
        assert_eq!(parse_catalogue("means X9999 = 甲\n").problems.len(), 1);
    }

    /// A list reads as Chinese lists do: `、` between items, `或` only for a choice.
    #[test]
    fn lists_are_joined_with_the_chinese_enumeration_comma() {
        assert_eq!(translate_part("`a`, `b`, `c`", 0), "`a`、`b`、`c`");
        assert_eq!(translate_part("`a`, `b` or `c`", 0), "`a`、`b`或`c`");
        assert_eq!(translate_part("0, 30, 60", 0), "0、30、60");
        assert_eq!(translate_part("`min(30, age)`", 0), "`min(30, age)`");
    }

    /// Two templates with the same English would make one of them dead.
    #[test]
    fn each_english_text_is_in_the_catalogue_once() {
        let mut seen = std::collections::HashMap::new();
        for t in &catalogue().templates {
            let en = t.pieces.join("{}");
            if let Some(line) = seen.insert(en.clone(), t.line) {
                panic!("`{en}` is in src/i18n/zh-CN.txt twice: lines {line} and {}", t.line);
            }
        }
    }

    #[test]
    fn places_capture_and_come_back_in_order() {
        assert_eq!(
            translate("unknown name `si_month`").as_deref(),
            Some("未知的名称 `si_month`"),
            "a name in backticks is kept"
        );
        // Captures are as short as lets the rest match; the list of words is translated
        // item by item.
        let zh = translate("syntax error: expected `:`, found `months`").unwrap_or_default();
        assert!(zh.contains("`:`") && zh.contains("`months`"), "{zh}");
        assert!(english_residue(&zh).is_empty(), "{zh}");
    }

    #[test]
    fn the_environment_chooses_chinese_only_for_zh() {
        assert_eq!(Lang::from_locale("zh_CN.UTF-8"), Lang::ZhCn);
        assert_eq!(Lang::from_locale("zh_TW"), Lang::ZhCn);
        assert_eq!(Lang::from_locale("zh"), Lang::ZhCn);
        assert_eq!(Lang::from_locale("en_US.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("C"), Lang::En);
        assert_eq!(Lang::from_locale("zhx"), Lang::En);
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::parse("zh_cn"), Some(Lang::ZhCn));
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }

    #[test]
    fn residue_ignores_code_quotes_and_paths() {
        assert!(english_residue("未知的名称 `si_month`，见 tests/a.policy 与 \"label\"").is_empty());
        assert_eq!(english_residue("未知的 name"), vec!["name".to_string()]);
    }
}

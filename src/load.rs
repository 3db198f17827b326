//! Reading a policy and the chain of policies it `extends`, and merging them into one
//! AST in which every span still points into the file it came from.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::diagnostic::{codes, Diagnostic};
use crate::source::{SourceMap, Span};
use crate::syntax::{self, ast::*};

/// Where `extends "NAME"` finds its file.
pub trait Loader {
    /// Resolve `target` as written in the file named `from`; return the resolved name
    /// and the text, or a message saying why it cannot be read.
    fn load(&self, from: &str, target: &str) -> Result<(String, String), String>;
}

pub(crate) mod read;

pub(crate) use read::{ReadError, DEFAULT_MAX_FILE_SIZE};

/// Resolves `extends` against the directory of the extending file; `"2024"` and
/// `"2024.policy"` both name `2024.policy` there. Confined as the command's loader is by
/// default (`ConfinedLoader`): to the extending file's folder tree, `.policy` files, and
/// 64 MiB (`DEFAULT_MAX_FILE_SIZE`).
pub struct FsLoader;

impl Loader for FsLoader {
    fn load(&self, from: &str, target: &str) -> Result<(String, String), String> {
        ConfinedLoader::default().load(from, target)
    }
}

/// `extends` on the file system, read only where a policy may come from: a `.policy`
/// file (a symbolic link is followed, and what it leads to must be one too), inside the
/// folder of the policy that extends it or inside `root`, regular, and at most
/// `max_file_size` bytes. Any other file is refused before it is read, so that its text
/// never reaches a diagnostic.
#[derive(Debug, Clone)]
pub(crate) struct ConfinedLoader {
    /// A folder every `extends` may also reach into (`jifen --root DIR`).
    pub root: Option<PathBuf>,
    pub max_file_size: u64,
}

impl Default for ConfinedLoader {
    fn default() -> ConfinedLoader {
        ConfinedLoader { root: None, max_file_size: DEFAULT_MAX_FILE_SIZE }
    }
}

impl Loader for ConfinedLoader {
    fn load(&self, from: &str, target: &str) -> Result<(String, String), String> {
        let path = extends_path(from, target);
        let name = path.to_string_lossy().to_string();
        if !is_policy(&path) {
            return Err(format!("`{name}` is not a `.policy` file; `extends` reads policy files only"));
        }
        let cannot = |e: std::io::Error| format!("cannot read `{name}`: {}", read::reason(&e));
        let folder = Path::new(from).parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let outside = |link: bool| {
            format!(
                "`{name}` {} outside `{}`, the folder of the policy that extends it \
                 (`jifen --root DIR` allows a wider folder)",
                if link { "is a symbolic link to a file" } else { "is" },
                folder.display()
            )
        };
        // First by the names alone: an absolute path or a `..` that leads out is refused
        // before the file system is asked, so whether such a file exists is never told.
        let written_roots = [Some(folder), self.root.as_deref()];
        if !written_roots.iter().flatten().any(|root| lexical(&path).starts_with(lexical(root))) {
            return Err(outside(false));
        }
        // Then by canonical paths on both sides: a symbolic link cannot lead out either.
        let real = std::fs::canonicalize(&path).map_err(cannot)?;
        let mut roots = vec![std::fs::canonicalize(folder).map_err(cannot)?];
        if let Some(root) = &self.root {
            roots.extend(std::fs::canonicalize(root).ok());
        }
        if !roots.iter().any(|root| real.starts_with(root)) {
            let link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
            return Err(outside(link));
        }
        if !is_policy(&real) {
            return Err(format!("`{name}` leads to `{}`, which is not a `.policy` file", real.display()));
        }
        let (text, _) = read::read_text(&real, self.max_file_size).map_err(|e| match e {
            ReadError::Io { source, .. } => cannot(source),
            ReadError::NotAFile { kind, .. } => format!("`{name}` is {kind}, not a file"),
            ReadError::TooLarge { limit, .. } => {
                format!("`{name}` is larger than the limit of {limit} bytes (`jifen --max-file-size` raises it)")
            }
            ReadError::NotUtf8 { offset, .. } => {
                format!("`{name}` is not valid UTF-8 text (invalid byte at offset {offset})")
            }
            ReadError::OtherEncoding { encoding, .. } => {
                format!("`{name}` is not UTF-8; it looks like {encoding}: save it as UTF-8")
            }
        })?;
        Ok((name, text))
    }
}

/// `path` made absolute from the current folder, with `.` and `..` taken away by their
/// names alone (links are not followed: the canonical check that follows does that).
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = match std::env::current_dir() {
        Ok(here) if path.is_relative() => here.join(path),
        _ => path.to_path_buf(),
    };
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn is_policy(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "policy")
}

/// The file `extends "TARGET"` names when written in the file `from`: next to it, with
/// `.policy` added when the target has no extension.
pub fn extends_path(from: &str, target: &str) -> PathBuf {
    let dir = Path::new(from).parent().unwrap_or(Path::new(""));
    let mut path: PathBuf = dir.join(target);
    if path.extension().is_none() {
        path.set_extension("policy");
    }
    path
}

/// A loader over files held in memory (the policies bundled in the binary, tests).
pub struct MemoryLoader {
    pub files: HashMap<String, String>,
}

impl Loader for MemoryLoader {
    fn load(&self, _from: &str, target: &str) -> Result<(String, String), String> {
        let key = target.trim_end_matches(".policy");
        self.files
            .iter()
            .find(|(name, _)| {
                name.trim_end_matches(".policy").rsplit('/').next() == Some(key) || name.as_str() == target
            })
            .map(|(name, text)| (name.clone(), text.clone()))
            .ok_or_else(|| format!("no bundled policy named `{target}`"))
    }
}

/// Deepest chain of `extends` followed.
const MAX_EXTENDS: usize = 32;

/// Parse `text` and everything it extends; merge into one AST. The file as parsed is also
/// put into `document` when given (before its parents are applied, and even when it has
/// syntax errors, if the parser recovered a policy).
pub(crate) fn load_keeping(
    name: &str,
    text: &str,
    loader: &dyn Loader,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
    document: Option<&mut Option<PolicyFile>>,
) -> Option<PolicyFile> {
    let file = sources.add(name, text);
    let (parsed, mut found) = syntax::parse(file, text);
    if let Some(document) = document {
        document.clone_from(&parsed);
    }
    let had_errors = found.iter().any(Diagnostic::is_error);
    diagnostics.append(&mut found);
    let child = parsed.filter(|_| !had_errors)?;

    let Some(extends) = child.header.extends.clone() else {
        for decl in &child.decls {
            if let Some(span) = modification_span(decl) {
                diagnostics.push(
                    Diagnostic::error(
                        codes::OVERRIDE_WITHOUT_EXTENDS,
                        "`override` and `remove` need a policy to change",
                        span,
                        "this policy does not extend another",
                    )
                    .with_help("add `extends \"FILE\"` after the policy's title, or define the thing directly"),
                );
            }
        }
        return Some(child);
    };

    // Follow the chain up to its root, then apply each file on top of its parent.
    let mut chain = vec![(file, child)];
    let mut names = vec![name.to_string()];
    let mut next = Some((name.to_string(), extends));
    while let Some((from, target)) = next.take() {
        if chain.len() > MAX_EXTENDS {
            diagnostics.push(Diagnostic::error(
                codes::EXTENDS_CYCLE,
                format!("more than {MAX_EXTENDS} policies extend one another"),
                target.span,
                "the chain goes on here",
            ));
            return None;
        }
        let (parent_name, parent_text) = match loader.load(&from, &target.value) {
            Ok(found) => found,
            Err(message) => {
                diagnostics.push(
                    Diagnostic::error(
                        codes::EXTENDS_NOT_FOUND,
                        format!("cannot load the extended policy `{}`", target.value),
                        target.span,
                        message,
                    )
                    .with_help("name a policy in this folder or below it, e.g. `extends \"2024\"` for 2024.policy"),
                );
                return None;
            }
        };
        if names.iter().any(|n| same_file(n, &parent_name)) {
            diagnostics.push(
                Diagnostic::error(
                    codes::EXTENDS_CYCLE,
                    format!("`{}` extends itself: {} → {}", parent_name, names.join(" → "), parent_name),
                    target.span,
                    "this closes the cycle",
                )
                .with_help("a policy can only extend an older one; remove one of the `extends`"),
            );
            return None;
        }
        names.push(parent_name.clone());
        let parent_file = sources.add(parent_name.clone(), parent_text.clone());
        let (parsed, mut found) = syntax::parse(parent_file, &parent_text);
        let had_errors = found.iter().any(Diagnostic::is_error);
        diagnostics.append(&mut found);
        let parent = parsed.filter(|_| !had_errors)?;
        next = parent.header.extends.clone().map(|t| (parent_name.clone(), t));
        chain.push((parent_file, parent));
    }

    let (_, mut merged) = chain.pop()?;
    while let Some((_, child)) = chain.pop() {
        merged = apply(merged, child, diagnostics);
    }
    Some(merged)
}

fn same_file(a: &str, b: &str) -> bool {
    let canon = |s: &str| std::fs::canonicalize(s).unwrap_or_else(|_| PathBuf::from(s));
    a == b || canon(a) == canon(b)
}

fn modification_span(decl: &Decl) -> Option<Span> {
    match decl {
        Decl::Override(o) => Some(match o {
            Override::Param(p) => p.name.span,
            Override::Item(i) => i.name.span,
            Override::Require(r) | Override::Veto(r) => r.name.span,
            Override::Test(t) => t.name.span,
            Override::Input(fields) => fields.first().map_or(Span::default(), |f| f.name.span),
            Override::Let(l) => l.name.span,
            Override::RenamedTest { old, .. } => old.span,
            Override::Output(o) => o.name.span,
        }),
        Decl::Remove(r) => Some(r.span),
        Decl::Extend(e) => Some(e.name.span),
        Decl::Amend(a) => Some(a.name.span),
        Decl::AmendGroup(a) => Some(a.name.span),
        Decl::Rank(r) if r.overrides => Some(r.span),
        _ => None,
    }
}

/// Apply a child policy on top of its (already merged) parent.
fn apply(mut base: PolicyFile, child: PolicyFile, diagnostics: &mut Vec<Diagnostic>) -> PolicyFile {
    let header = child.header;
    check_later(&base.header, &header, diagnostics);
    if child.decls.is_empty() && header.standard.is_none() {
        diagnostics.push(
            Diagnostic::warning(
                codes::CHANGES_NOTHING,
                "this policy changes nothing in the policy it extends",
                header.id.span,
                "no declaration follows the header",
            )
            .with_help(
                "add the year's changes (`override param …`, `amend item …`, …), or use the extended policy itself",
            ),
        );
    }
    base.header = Header {
        docs: header.docs.or(base.header.docs),
        extends: header.extends,
        year: header.year.or(base.header.year),
        effective: header.effective.or(base.header.effective),
        standard: header.standard.or(base.header.standard),
        ..header
    };
    // Inputs left unread by a `remove item`, said once the whole child is applied (a later
    // `remove input` of the same name is the fix, and then there is nothing to say).
    let mut unread: Vec<(String, Diagnostic)> = Vec::new();
    // Items the child removed: inherited tests that still expect them are told at the
    // `remove item`, once the child's own `override test`s have been applied.
    let mut removed_items: Vec<(String, Span)> = Vec::new();
    for decl in child.decls {
        match decl {
            Decl::Override(Override::Input(fields)) => {
                for field in fields {
                    override_input(&mut base.decls, field, diagnostics);
                }
            }
            Decl::Extend(e) => extend_enum(&mut base.decls, e, diagnostics),
            Decl::Amend(a) => amend_item(&mut base.decls, a, diagnostics),
            Decl::AmendGroup(a) => amend_group(&mut base.decls, a, diagnostics),
            Decl::Rank(r) if r.overrides => override_rank(&mut base.decls, r, diagnostics),
            Decl::Remove(r) if r.kind == RemoveKind::Input => remove_input(&mut base, &r, diagnostics),
            Decl::Remove(r) if r.kind == RemoveKind::Item => {
                let read_before = names_read_by_item(&base.decls, &r.name);
                if !remove_in(&mut base.decls, &r) {
                    let candidates = names_of(&base.decls, "item");
                    diagnostics.push(nothing_to_change("remove", "item", &r.name, r.span, &candidates));
                    continue;
                }
                note_inputs_left_unread(&base, &read_before, &r, &mut unread);
                removed_items.push((r.name.clone(), r.span));
            }
            Decl::Override(Override::RenamedTest { old, test })
                if old.value != test.name.value && names_of(&base.decls, "test").contains(&test.name.value) =>
            {
                diagnostics.push(
                    Diagnostic::error(
                        codes::DUPLICATE,
                        format!(
                            "cannot rename test `{}` to `{}`: a test of that name exists",
                            old.value, test.name.value
                        ),
                        test.name.span,
                        "this name is taken",
                    )
                    .with_help(format!("choose another name, or `remove test \"{}\"` first", test.name.value)),
                );
            }
            Decl::Override(Override::Param(p)) if param_changes_kind(&base.decls, &p, diagnostics) => {}
            Decl::Override(o) => {
                if !override_in(&mut base.decls, o.clone()) {
                    let (kind, name, span) = describe_override(&o);
                    let candidates = names_of(&base.decls, kind);
                    diagnostics.push(nothing_to_change("override", kind, &name, span, &candidates));
                }
            }
            Decl::Remove(r) => {
                if !remove_in(&mut base.decls, &r) {
                    let candidates = names_of(&base.decls, r.kind.keyword());
                    diagnostics.push(nothing_to_change("remove", r.kind.keyword(), &r.name, r.span, &candidates));
                }
            }
            Decl::Section(section) => {
                let existing = base.decls.iter_mut().find_map(|d| match d {
                    Decl::Section(s) if s.name.name == section.name.name => Some(s),
                    _ => None,
                });
                match existing {
                    Some(s) => {
                        s.items.extend(section.items);
                        s.groups.extend(section.groups);
                        s.caps.extend(section.caps);
                        if section.label.is_some() {
                            s.label = section.label;
                        }
                        if section.cap.is_some() {
                            s.cap = section.cap;
                        }
                        s.deduction |= section.deduction;
                    }
                    None => base.decls.push(Decl::Section(section)),
                }
            }
            other => base.decls.push(other),
        }
    }
    expectations_of_removed_items(&mut base.decls, &removed_items, diagnostics);
    let inputs = names_of(&base.decls, "input");
    for (name, warning) in unread {
        if inputs.contains(&name) {
            diagnostics.push(warning);
            base.unread_after_remove.push(name);
        }
    }
    base
}

/// The names of one kind of thing (`param`, `item`, …) in merged declarations.
fn names_of(decls: &[Decl], kind: &str) -> Vec<String> {
    let mut out = Vec::new();
    for d in decls {
        match (d, kind) {
            (Decl::Param(p), "param") => out.push(p.name.name.clone()),
            (Decl::Section(s), "item") => out.extend(s.items.iter().map(|i| i.name.name.clone())),
            (Decl::Section(s), "group") => out.extend(s.caps.iter().map(|g| g.name.name.clone())),
            (Decl::Eligibility(r), "require") | (Decl::Vetoes(r), "veto") => {
                out.extend(r.iter().map(|x| x.name.name.clone()))
            }
            (Decl::Test(t), "test") => out.push(t.name.value.clone()),
            (Decl::Let(l), "let") => out.push(l.name.name.clone()),
            (Decl::Enum(e), "enum") => out.push(e.name.name.clone()),
            (Decl::Input(fields), "input") => out.extend(fields.iter().map(|f| f.name.name.clone())),
            (Decl::Output(o), "output") => out.push(o.name.name.clone()),
            _ => {}
        }
    }
    out
}

fn nothing_to_change(verb: &str, kind: &str, name: &str, span: Span, candidates: &[String]) -> Diagnostic {
    let close = crate::check::did_you_mean(name, candidates.iter().map(String::as_str));
    let help = match close {
        Some(c) => format!("did you mean `{c}`? Or drop `{verb}` to add a new {kind}"),
        None => format!("check the name against the extended policy, or drop `{verb}` to add a new {kind}"),
    };
    Diagnostic::error(
        codes::NOTHING_TO_OVERRIDE,
        format!("cannot {verb} {kind} `{name}`: the extended policy has no such {kind}"),
        span,
        format!("no {kind} `{name}` to {verb}"),
    )
    .with_help(help)
}

fn describe_override(o: &Override) -> (&'static str, String, Span) {
    match o {
        Override::Param(p) => ("param", p.name.name.clone(), p.name.span),
        Override::Item(i) => ("item", i.name.name.clone(), i.name.span),
        Override::Require(r) => ("require", r.name.name.clone(), r.name.span),
        Override::Veto(r) => ("veto", r.name.name.clone(), r.name.span),
        Override::Test(t) => ("test", t.name.value.clone(), t.name.span),
        Override::Input(fields) => (
            "input",
            fields.first().map(|f| f.name.name.clone()).unwrap_or_default(),
            fields.first().map_or(Span::default(), |f| f.name.span),
        ),
        Override::Let(l) => ("let", l.name.name.clone(), l.name.span),
        Override::RenamedTest { old, .. } => ("test", old.value.clone(), old.span),
        Override::Output(o) => ("output", o.name.name.clone(), o.name.span),
    }
}

fn override_in(decls: &mut [Decl], o: Override) -> bool {
    for decl in decls.iter_mut() {
        match (decl, &o) {
            (Decl::Param(p), Override::Param(new)) if p.name.name == new.name.name => {
                *p = new.clone();
                return true;
            }
            (Decl::Section(s), Override::Item(new)) => {
                if let Some(item) = s.items.iter_mut().find(|i| i.name.name == new.name.name) {
                    *item = new.clone();
                    return true;
                }
            }
            (Decl::Eligibility(rules), Override::Require(new)) | (Decl::Vetoes(rules), Override::Veto(new)) => {
                if let Some(rule) = rules.iter_mut().find(|r| r.name.name == new.name.name) {
                    *rule = new.clone();
                    return true;
                }
            }
            (Decl::Test(t), Override::Test(new)) if t.name.value == new.name.value => {
                *t = new.clone();
                return true;
            }
            (Decl::Let(l), Override::Let(new)) if l.name.name == new.name.name => {
                let old = l.replaced.take().unwrap_or_else(|| Box::new(l.value.clone()));
                *l = new.clone();
                l.replaced = Some(old);
                return true;
            }
            (Decl::Test(t), Override::RenamedTest { old, test }) if t.name.value == old.value => {
                *t = test.clone();
                return true;
            }
            (Decl::Output(out), Override::Output(new)) if out.name.name == new.name.name => {
                *out = new.clone();
                return true;
            }
            _ => {}
        }
    }
    false
}

fn remove_in(decls: &mut Vec<Decl>, r: &Remove) -> bool {
    let before = count(decls);
    decls.retain(|d| match (d, r.kind) {
        (Decl::Param(p), RemoveKind::Param) => p.name.name != r.name,
        (Decl::Test(t), RemoveKind::Test) => t.name.value != r.name,
        (Decl::Output(o), RemoveKind::Output) => o.name.name != r.name,
        _ => true,
    });
    for decl in decls.iter_mut() {
        match (decl, r.kind) {
            (Decl::Section(s), RemoveKind::Item) => {
                s.items.retain(|i| i.name.name != r.name);
                for g in &mut s.groups {
                    g.members.retain(|m| m.name != r.name);
                }
                s.groups.retain(|g| g.members.len() > 1);
                for g in &mut s.caps {
                    g.members.retain(|m| m.name != r.name);
                }
                s.caps.retain(|g| !g.members.is_empty());
            }
            (Decl::Eligibility(rules), RemoveKind::Require) | (Decl::Vetoes(rules), RemoveKind::Veto) => {
                rules.retain(|x| x.name.name != r.name)
            }
            _ => {}
        }
    }
    count(decls) < before
}

/// Number of removable things, to tell whether a `remove` found its target.
fn count(decls: &[Decl]) -> usize {
    decls
        .iter()
        .map(|d| match d {
            Decl::Section(s) => s.items.len(),
            Decl::Eligibility(r) | Decl::Vetoes(r) => r.len(),
            _ => 1,
        })
        .sum()
}

/// A child's `year` and `effective` date must come after its parent's.
fn check_later(parent: &Header, child: &Header, diagnostics: &mut Vec<Diagnostic>) {
    if let (Some((old, _)), Some((new, span))) = (&parent.year, &child.year) {
        if new <= old {
            diagnostics.push(
                Diagnostic::error(
                    codes::NOT_LATER,
                    format!("year {new} is not after the extended policy's year {old}"),
                    *span,
                    "a policy that extends another is for a later year",
                )
                .with_help(format!("write the year this policy is for, e.g. `year {}`", old + 1)),
            );
        }
    }
    // Dates are checked to be calendar dates when parsed; as `YYYY-MM-DD` text they order.
    if let (Some((old, _)), Some((new, span))) = (&parent.effective, &child.effective) {
        if new <= old {
            diagnostics.push(
                Diagnostic::error(
                    codes::NOT_LATER,
                    format!("effective date {new} is not after the extended policy's {old}"),
                    *span,
                    "a policy that extends another takes effect later",
                )
                .with_help("write the date this year's rules take effect"),
            );
        }
    }
}

/// `override input { name: … }`: the inherited input of that name, replaced; its type must stay.
fn override_input(decls: &mut [Decl], field: InputField, diagnostics: &mut Vec<Diagnostic>) {
    let existing = decls.iter_mut().find_map(|d| match d {
        Decl::Input(fields) => fields.iter_mut().find(|f| f.name.name == field.name.name),
        _ => None,
    });
    let Some(existing) = existing else {
        let candidates = names_of(decls, "input");
        diagnostics.push(nothing_to_change("override", "input", &field.name.name, field.name.span, &candidates));
        return;
    };
    if existing.ty.name != field.ty.name || existing.optional != field.optional {
        let shown = |f: &InputField| format!("{}{}", f.ty.name, if f.optional { "?" } else { "" });
        diagnostics.push(
            Diagnostic::error(
                codes::OVERRIDE_CHANGES_TYPE,
                format!("`override input` cannot change `{}` from {} to {}", field.name.name, shown(existing), shown(&field)),
                field.ty.span,
                format!("the extended policy declares it `{}`", shown(existing)),
            )
            .with_label(existing.ty.span, "declared here")
            .with_help(format!(
                "keep the type `{}` and change only its range, default or label; for a new kind of fact, add a new input",
                shown(existing)
            )),
        );
        return;
    }
    *existing = field;
}

/// Whether `override param` gives a value of another kind or unit than the inherited one
/// (`12800` for `12434 yuan`): then it is reported once, at the override, and the inherited
/// value is kept, so that the parent's uses are not each reported as wrong.
/// A unit's plural form, as the language or the policy declares it: `months` for `month`.
fn plural<'d>(decls: &'d [Decl], written: &'d str) -> &'d str {
    let declared = crate::check::units::prelude().iter().find(|u| &*u.singular == written).map(|u| &*u.name);
    let declared = declared.or_else(|| {
        decls.iter().find_map(|d| match d {
            Decl::Unit(u) if u.singular.as_ref().is_some_and(|s| s.name == written) => Some(u.name.name.as_str()),
            _ => None,
        })
    });
    declared.unwrap_or(written)
}

fn param_changes_kind(decls: &[Decl], new: &ParamDecl, diagnostics: &mut Vec<Diagnostic>) -> bool {
    let Some(old) = decls.iter().find_map(|d| match d {
        Decl::Param(p) if p.name.name == new.name.name => Some(p),
        _ => None,
    }) else {
        return false;
    };
    let kind = |v: &ValueKind| match v {
        ValueKind::Number(n) => match &n.unit {
            Some(u) => format!("a number of {}", plural(decls, &u.name)),
            None => "a plain number".to_string(),
        },
        ValueKind::Bool(_) => "true or false".to_string(),
        ValueKind::Variant { .. } => "an enum variant".to_string(),
        ValueKind::Absent => "absent".to_string(),
        ValueKind::Date(_) => "a date".to_string(),
        ValueKind::Rows(_) => "rows of a list".to_string(),
    };
    let (was, now) = (kind(&old.value.kind), kind(&new.value.kind));
    if was == now {
        return false;
    }
    let help = match &old.value.kind {
        ValueKind::Number(n) if n.unit.is_some() => {
            format!(
                "write the unit as the extended policy does, e.g. `{} {}`",
                value_text(new),
                n.unit.as_ref().map_or("", |u| u.name.as_str())
            )
        }
        _ => format!("give `{}` {was}, as the extended policy does", new.name.name),
    };
    let mut d = Diagnostic::error(
        codes::OVERRIDE_CHANGES_TYPE,
        format!("`override param {}` changes its value from {was} to {now}", new.name.name),
        new.value.span,
        format!("this is {now}"),
    )
    .with_label(old.value.span, format!("the extended policy gives {was}"));
    if let Some(use_span) = first_use(decls, &new.name.name) {
        d = d.with_label(use_span, "used here as such");
    }
    diagnostics.push(d.with_help(help));
    true
}

/// The number of a value as written, without its unit.
fn value_text(p: &ParamDecl) -> String {
    match &p.value.kind {
        ValueKind::Number(n) => n.value.to_string(),
        _ => "…".to_string(),
    }
}

/// Where a name is first read, in the order of the declarations.
fn first_use(decls: &[Decl], name: &str) -> Option<Span> {
    let mut found = Vec::new();
    for d in decls {
        match d {
            Decl::Let(l) => l.value.names(&mut found),
            Decl::Section(s) => s.items.iter().flat_map(|i| i.exprs()).for_each(|e| e.names(&mut found)),
            Decl::Eligibility(r) | Decl::Vetoes(r) => r.iter().for_each(|x| x.condition.names(&mut found)),
            _ => {}
        }
        if let Some(id) = found.iter().find(|id| id.name == name) {
            return Some(id.span);
        }
        found.clear();
    }
    None
}

/// `extend enum NAME { … }`: the variants appended to the inherited enum.
fn extend_enum(decls: &mut [Decl], extension: EnumDecl, diagnostics: &mut Vec<Diagnostic>) {
    let existing = decls.iter_mut().find_map(|d| match d {
        Decl::Enum(e) if e.name.name == extension.name.name => Some(e),
        _ => None,
    });
    match existing {
        Some(e) => e.variants.extend(extension.variants),
        None => {
            let candidates = names_of(decls, "enum");
            diagnostics.push(nothing_to_change(
                "extend",
                "enum",
                &extension.name.name,
                extension.name.span,
                &candidates,
            ));
        }
    }
}

/// `amend item NAME { … }`: the parts given replace or extend the inherited item's.
fn amend_item(decls: &mut [Decl], amend: AmendDecl, diagnostics: &mut Vec<Diagnostic>) {
    let item = decls.iter_mut().find_map(|d| match d {
        Decl::Section(s) => s.items.iter_mut().find(|i| i.name.name == amend.name.name),
        _ => None,
    });
    let Some(item) = item else {
        let candidates = names_of(decls, "item");
        diagnostics.push(nothing_to_change("amend", "item", &amend.name.name, amend.name.span, &candidates));
        return;
    };
    if amend.cap.is_some() {
        item.cap = amend.cap;
    }
    if let Some(label) = amend.label {
        item.label = label;
    }
    for reason in &amend.unrequire {
        let before = item.requires.len();
        item.requires.retain(|r| r.reason.value != reason.value);
        if item.requires.len() == before {
            let reasons: Vec<String> = item.requires.iter().map(|r| r.reason.value.clone()).collect();
            let close = crate::check::did_you_mean(&reason.value, reasons.iter().map(String::as_str));
            diagnostics.push(
                Diagnostic::error(
                    codes::NOTHING_TO_OVERRIDE,
                    format!("item `{}` has no precondition with the reason \"{}\"", amend.name.name, reason.value),
                    reason.span,
                    "no such precondition",
                )
                .with_help(match close {
                    Some(c) => format!("did you mean \"{c}\"? A precondition is named by its reason, as written"),
                    None => {
                        "a precondition is named by its reason, exactly as the extended policy writes it".to_string()
                    }
                }),
            );
        }
    }
    item.requires.extend(amend.requires);
}

/// Inherited tests that still `expect item NAME` of an item the child removed: one error per
/// removed item at its `remove item`, each such expectation a label, and the expectations
/// dropped so that the extended policy's tests are not reported as naming an unknown item.
/// One pass over the tests, whatever the number of removals.
fn expectations_of_removed_items(decls: &mut [Decl], removed: &[(String, Span)], diagnostics: &mut Vec<Diagnostic>) {
    if removed.is_empty() {
        return;
    }
    let index: HashMap<&str, usize> = removed.iter().enumerate().map(|(i, (n, _))| (n.as_str(), i)).collect();
    let mut found: Vec<Vec<(String, Span)>> = vec![Vec::new(); removed.len()];
    for decl in decls.iter_mut() {
        let Decl::Test(t) = decl else { continue };
        t.expect.retain(|e| {
            let hit = if e.is_item { index.get(e.target.name.as_str()) } else { None };
            match hit {
                Some(&i) if e.target.span.file != removed[i].1.file => {
                    found[i].push((t.name.value.clone(), e.target.span));
                    false
                }
                _ => true,
            }
        });
    }
    for ((name, span), found) in removed.iter().zip(found) {
        let Some((first, _)) = found.first() else { continue };
        let title = match found.len() {
            1 => format!("item `{name}` is removed, but the inherited test \"{first}\" expects it"),
            n => format!("item `{name}` is removed, but {n} inherited tests expect it"),
        };
        let mut d = Diagnostic::error(codes::UNKNOWN_ITEM, title, *span, "removed here");
        for (_, at) in &found {
            d = d.with_label(*at, "expected here");
        }
        diagnostics.push(d.with_help(format!(
            "in this file, `override test \"{first}\" {{ … }}` without `item {name}`, or `remove test \"{first}\"`"
        )));
    }
}

/// The help of a `remove` that names no member: the closest member and the members, for a
/// group small enough to list (a suggestion compares the name with each member).
fn members_help(name: &str, members: &[Ident], removed: &HashSet<String>) -> String {
    const LISTED: usize = 20;
    let names: Vec<&str> =
        members.iter().map(|x| x.name.as_str()).filter(|n| !removed.contains(*n)).take(LISTED + 1).collect();
    if names.len() > LISTED {
        return "name an item the group lists, as the extended policy writes it".to_string();
    }
    let listed: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match crate::check::did_you_mean(name, names.iter().copied()) {
        Some(c) => format!("did you mean `{c}`? The group's members are {}", listed.join(", ")),
        None => format!("the group's members are {}", listed.join(", ")),
    }
}

/// `amend group NAME { … }`: the inherited capped group's cap, label or members changed.
/// Members are taken out before any is added, so `remove a  add b` swaps them. Whether an
/// added item exists, is in the group's section and in no other group is checked on the
/// merged policy (`check::declare_groups`), at the `add` line, as for a group written whole.
fn amend_group(decls: &mut [Decl], amend: AmendGroupDecl, diagnostics: &mut Vec<Diagnostic>) {
    let candidates = names_of(decls, "group");
    let group = decls.iter_mut().find_map(|d| match d {
        Decl::Section(s) => s.caps.iter_mut().find(|g| g.name.name == amend.name.name),
        _ => None,
    });
    let Some(group) = group else {
        let name = &amend.name.name;
        let close = crate::check::did_you_mean(name, candidates.iter().map(String::as_str));
        let add = "a new group is added by reopening its section: `section NAME { group … }`";
        diagnostics.push(
            Diagnostic::error(
                codes::NOTHING_TO_OVERRIDE,
                format!("cannot amend group `{name}`: the extended policy has no such group"),
                amend.name.span,
                format!("no group `{name}` to amend"),
            )
            .with_help(match close {
                Some(c) => format!("did you mean `{c}`? Or, {add}"),
                None => format!("check the name against the extended policy's `group`s; {add}"),
            }),
        );
        return;
    };
    if let Some(cap) = amend.cap {
        group.cap = cap;
    }
    if amend.label.is_some() {
        group.label = amend.label;
    }
    // Members by name: each `remove` and `add` is one lookup, however long the lists are.
    let mut current: HashMap<String, Span> = group.members.iter().map(|x| (x.name.clone(), x.span)).collect();
    let mut removed: HashSet<String> = HashSet::new();
    let mut last_removed = None;
    for m in &amend.remove {
        if current.remove(&m.name).is_some() {
            removed.insert(m.name.clone());
            last_removed = Some(m.span);
            continue;
        }
        diagnostics.push(
            Diagnostic::error(
                codes::NOTHING_TO_OVERRIDE,
                format!("cannot remove `{}` from group `{}`: it is not a member", m.name, group.name.name),
                m.span,
                "not in this group",
            )
            .with_help(members_help(&m.name, &group.members, &removed)),
        );
    }
    group.members.retain(|x| !removed.contains(&x.name));
    for m in amend.add {
        if let Some(there) = current.get(&m.name) {
            diagnostics.push(
                Diagnostic::error(
                    codes::BAD_GROUP,
                    format!("item `{}` is already in group `{}`", m.name, group.name.name),
                    m.span,
                    "already a member",
                )
                .with_label(*there, "listed here")
                .with_help("drop it from `add`"),
            );
            continue;
        }
        current.insert(m.name.clone(), m.span);
        group.members.push(m);
    }
    if let (Some(span), true) = (last_removed, group.members.len() < 2) {
        let left = match group.members.first() {
            Some(m) => format!("only `{}`", m.name),
            None => "no item".to_string(),
        };
        diagnostics.push(
            Diagnostic::error(
                codes::BAD_GROUP,
                format!("group `{}` would be left with {left}", group.name.name),
                span,
                "the last removal leaves fewer than two items",
            )
            .with_help(
                "a group caps two or more items together: `add` another item, or cap a single item \
                 with `amend item NAME { cap N }`",
            ),
        );
    }
}

/// `override rank { … }`: the child's ranking replaces the inherited one.
fn override_rank(decls: &mut [Decl], rank: RankDecl, diagnostics: &mut Vec<Diagnostic>) {
    match decls.iter_mut().find(|d| matches!(d, Decl::Rank(_))) {
        Some(inherited) => *inherited = Decl::Rank(rank),
        None => diagnostics.push(
            Diagnostic::error(
                codes::NOTHING_TO_OVERRIDE,
                "cannot override rank: the extended policy has no ranking",
                rank.span,
                "no `rank` to override",
            )
            .with_help("drop `override` to declare the ranking here"),
        ),
    }
}

/// `remove input NAME`: an error where anything still reads it; inherited tests no longer give it.
fn remove_input(base: &mut PolicyFile, r: &Remove, diagnostics: &mut Vec<Diagnostic>) {
    let mut found = false;
    for decl in base.decls.iter_mut() {
        if let Decl::Input(fields) = decl {
            let before = fields.len();
            fields.retain(|f| f.name.name != r.name);
            found |= fields.len() < before;
        }
    }
    base.decls.retain(|d| !matches!(d, Decl::Input(fields) if fields.is_empty()));
    if !found {
        let candidates = names_of(&base.decls, "input");
        diagnostics.push(nothing_to_change("remove", "input", &r.name, r.span, &candidates));
        return;
    }
    let readers = readers_of(&base.decls, &r.name);
    if let Some((first, _)) = readers.first() {
        let mut d = Diagnostic::error(
            codes::REMOVED_STILL_READ,
            format!(
                "cannot remove input `{}`: {} still read{} it",
                r.name,
                readers.iter().map(|(_, w)| w.as_str()).collect::<Vec<_>>().join(", "),
                if readers.len() == 1 { "s" } else { "" }
            ),
            r.span,
            "removed here",
        )
        .with_label(*first, "still read here");
        for (span, _) in readers.iter().skip(1).take(5) {
            d = d.with_label(*span, "and here");
        }
        diagnostics.push(
            d.with_help("remove or override what reads it first (`remove item …`, `override item …`), then the input"),
        );
    }
    for decl in base.decls.iter_mut() {
        match decl {
            Decl::Test(t) => t.given.retain(|f| f.name.name != r.name),
            Decl::Plan(p) => {
                p.wait.retain(|w| w.input.name != r.name);
                p.raise.retain(|i| i.name != r.name);
            }
            _ => {}
        }
    }
}

/// Where each expression of the merged declarations reads `name`, with what reads it.
fn readers_of(decls: &[Decl], name: &str) -> Vec<(Span, String)> {
    let mut out = Vec::new();
    let mut look = |what: String, e: &Expr| {
        let mut names = Vec::new();
        e.names(&mut names);
        if let Some(id) = names.into_iter().find(|id| id.name == name) {
            out.push((id.span, what));
        }
    };
    for decl in decls {
        match decl {
            Decl::Section(s) => {
                for item in &s.items {
                    item.exprs().for_each(|e| look(format!("item `{}`", item.name.name), e));
                }
                if let Some(cap) = &s.cap {
                    look(format!("section `{}`'s cap", s.name.name), cap);
                }
            }
            Decl::Let(l) => look(format!("let `{}`", l.name.name), &l.value),
            Decl::Eligibility(rules) => {
                rules.iter().for_each(|x| look(format!("requirement `{}`", x.name.name), &x.condition))
            }
            Decl::Vetoes(rules) => rules.iter().for_each(|x| look(format!("veto `{}`", x.name.name), &x.condition)),
            Decl::Plan(p) => p.assume.iter().for_each(|e| look("the plan's `assume`".to_string(), e)),
            _ => {}
        }
    }
    for decl in decls {
        if let Decl::Rank(r) = decl {
            let tie = r.then.iter().find(|t| t.input.name == name);
            out.extend(tie.map(|t| (t.input.span, "the ranking's `then`".to_string())));
        }
    }
    out
}

/// The names item `name` reads, before it is removed.
fn names_read_by_item(decls: &[Decl], name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for decl in decls {
        if let Decl::Section(s) = decl {
            for item in s.items.iter().filter(|i| i.name.name == name) {
                let mut names = Vec::new();
                item.exprs().for_each(|e| e.names(&mut names));
                out.extend(names.into_iter().map(|id| id.name.clone()));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// After `remove item`: each input the item read that nothing reads any more is said at the
/// `remove`, with the fix, instead of as an unread input in the parent.
fn note_inputs_left_unread(
    base: &PolicyFile,
    read_before: &[String],
    r: &Remove,
    unread: &mut Vec<(String, Diagnostic)>,
) {
    let inputs = names_of(&base.decls, "input");
    for name in read_before.iter().filter(|n| inputs.contains(n)) {
        if readers_of(&base.decls, name).is_empty() {
            let warning = Diagnostic::warning(
                codes::UNUSED,
                format!("input `{name}` is read by nothing once item `{}` is removed", r.name),
                r.span,
                format!("the last item reading `{name}` is removed here"),
            )
            .with_help(format!("add `remove input {name}` so that forms and calculators stop asking for it"));
            unread.push((name.clone(), warning));
        }
    }
}

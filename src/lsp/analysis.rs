//! One open document, checked as `jifen check` checks it: its diagnostics sorted by the
//! file they point into, its symbol index and its outline.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, DocumentSymbol, Location, NumberOrString, Range,
    Url,
};

use super::index::SymbolIndex;
use super::position::LineIndex;
use super::symbols;
use crate::diagnostic::{codes, Diagnostic, Severity};
use crate::load::{extends_path, FsLoader, Loader};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::PolicyFile;

/// The files one check read, to turn spans into LSP locations.
#[derive(Debug, Clone)]
pub(crate) struct Files {
    uris: Vec<Url>,
    lines: Vec<LineIndex>,
}

impl Files {
    /// File 0 is the document itself, whatever name it was checked under.
    fn new(sources: &SourceMap, document: &Url) -> Files {
        let (mut uris, mut lines) = (Vec::new(), Vec::new());
        let mut id = 0;
        while let Some(file) = sources.get(FileId(id)) {
            let uri = if id == 0 { Some(document.clone()) } else { uri_of_name(&file.name) };
            uris.push(uri.unwrap_or_else(|| document.clone()));
            lines.push(LineIndex::new(file.text.clone()));
            id += 1;
        }
        Files { uris, lines }
    }

    pub(crate) fn uri(&self, file: FileId) -> Option<&Url> {
        self.uris.get(file.0 as usize)
    }

    pub(crate) fn range(&self, span: Span) -> Range {
        match self.lines.get(span.file.0 as usize) {
            Some(lines) => lines.range(span.start as usize, span.end as usize),
            None => Range::default(),
        }
    }

    /// The text of a file as it was checked.
    pub(crate) fn text(&self, file: FileId) -> &str {
        self.lines.get(file.0 as usize).map_or("", |l| l.text())
    }

    pub(crate) fn location(&self, span: Span) -> Option<Location> {
        Some(Location { uri: self.uri(span.file)?.clone(), range: self.range(span) })
    }
}

/// A symbol index with the files its spans point into.
#[derive(Debug, Clone)]
pub(crate) struct Indexed {
    pub index: SymbolIndex,
    pub files: Files,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Analysis {
    /// Every diagnostic, by the file it points into; the document's own entry is always there.
    pub diagnostics: HashMap<Url, Vec<lsp_types::Diagnostic>>,
    /// `None` when the document does not parse.
    pub indexed: Option<Indexed>,
    pub outline: Option<Vec<DocumentSymbol>>,
    /// The other files read (what the document extends), normalised.
    pub reads: Vec<PathBuf>,
}

/// The name a document is checked under: its path for a `file:` URI.
pub(crate) fn document_name(uri: &Url) -> String {
    match uri.to_file_path() {
        Ok(path) => normalize(&path).to_string_lossy().to_string(),
        Err(()) => uri.to_string(),
    }
}

/// `a/./b/../c` as `a/c`, without touching the file system (the file may not exist yet).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn uri_of_name(name: &str) -> Option<Url> {
    let path = Path::new(name);
    let absolute = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
    Url::from_file_path(normalize(&absolute)).ok()
}

/// Resolves `extends` to the open documents first (their unsaved text), then to disk.
pub(crate) struct EditorLoader<'a> {
    pub open: &'a HashMap<PathBuf, String>,
}

impl Loader for EditorLoader<'_> {
    fn load(&self, from: &str, target: &str) -> Result<(String, String), String> {
        let path = normalize(&extends_path(from, target));
        let name = path.to_string_lossy().to_string();
        match self.open.get(&path) {
            Some(text) => Ok((name, text.clone())),
            None => FsLoader.load(from, target).map(|(_, text)| (name, text)),
        }
    }
}

/// Check one document as `jifen check` would, with unsaved parents taken from `open`.
pub(crate) fn analyse(uri: &Url, text: &str, open: &HashMap<PathBuf, String>) -> Analysis {
    let name = document_name(uri);
    let loader = EditorLoader { open };
    // One parse of the document serves the diagnostics, the index and the outline.
    let crate::Analysed { report, document: own, merged, resolved } = crate::analyse_with(&name, text, &loader);
    let files = Files::new(&report.diagnostics.sources, uri);

    let mut diagnostics: HashMap<Url, Vec<lsp_types::Diagnostic>> = HashMap::new();
    diagnostics.insert(uri.clone(), Vec::new());
    for d in &report.diagnostics.list {
        let (target, converted) = to_lsp(d, &files);
        diagnostics.entry(target).or_default().push(converted);
    }
    if let Some(summary) = parent_errors(&report.diagnostics.list, &files, own.as_ref()) {
        diagnostics.entry(uri.clone()).or_default().push(summary);
    }

    // The merged AST (with what the document extends) and the checker's names for the
    // index. A policy that could not be checked (a syntax error, a parent that cannot be
    // applied) has none: the server answers from the last one that was. Its file ids are
    // the report's.
    let sources = &report.diagnostics.sources;
    let indexed = merged.as_ref().zip(resolved.as_ref()).map(|(policy, resolved)| Indexed {
        index: SymbolIndex::from_ast(policy, sources, report.ruleset.as_ref(), Some(resolved)),
        files: Files::new(sources, uri),
    });
    let reads = (1..)
        .map_while(|id| report.diagnostics.sources.get(FileId(id)))
        .map(|f| normalize(Path::new(&f.name)))
        .collect();
    let outline = own.as_ref().map(|p| symbols::outline(p, &LineIndex::new(text)));
    Analysis { diagnostics, indexed, outline, reads }
}

/// A jifen diagnostic as LSP sends it, with the URI of the file it points into.
fn to_lsp(d: &Diagnostic, files: &Files) -> (Url, lsp_types::Diagnostic) {
    let span = d.primary.span;
    let mut message =
        if d.primary.message.is_empty() { d.message.clone() } else { format!("{}: {}", d.message, d.primary.message) };
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|l| {
            Some(DiagnosticRelatedInformation { location: files.location(l.span)?, message: l.message.clone() })
        })
        .collect();
    let unnecessary = [codes::UNUSED, codes::UNREACHABLE_ARM].contains(&d.code);
    // The suggestion, when it is in the diagnostic's own file, for the quick fix.
    let fix = d.fix.as_ref().filter(|(fix, _)| fix.file == span.file).map(|(fix, replacement)| {
        let edit = lsp_types::TextEdit { range: files.range(*fix), new_text: replacement.clone() };
        serde_json::json!({ "fix": edit, "title": d.help.clone().unwrap_or_else(|| format!("replace with `{replacement}`")) })
    });
    let diagnostic = lsp_types::Diagnostic {
        range: files.range(span),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("jifen".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: unnecessary.then(|| vec![DiagnosticTag::UNNECESSARY]),
        data: fix,
        ..lsp_types::Diagnostic::default()
    };
    let uri = files.uri(span.file).cloned().unwrap_or_else(|| files.uris[0].clone());
    (uri, diagnostic)
}

/// Errors in an extended policy stop this one from compiling: say so at `extends`.
fn parent_errors(list: &[Diagnostic], files: &Files, own: Option<&PolicyFile>) -> Option<lsp_types::Diagnostic> {
    let extends = own?.header.extends.as_ref()?;
    let foreign: Vec<&Diagnostic> = list.iter().filter(|d| d.is_error() && d.primary.span.file != FileId(0)).collect();
    let first = foreign.first()?;
    let location = files.location(first.primary.span)?;
    let file = location.uri.path_segments().and_then(|mut s| s.next_back().map(str::to_string)).unwrap_or_default();
    Some(lsp_types::Diagnostic {
        range: files.range(extends.span),
        severity: Some(DiagnosticSeverity::ERROR),
        code: Some(NumberOrString::String(first.code.to_string())),
        source: Some("jifen".to_string()),
        message: format!(
            "the extended policy `{file}` has {} error(s); the first: {}\nhelp: fix them in `{file}`",
            foreign.len(),
            first.message
        ),
        related_information: Some(vec![DiagnosticRelatedInformation { location, message: first.message.clone() }]),
        ..lsp_types::Diagnostic::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled(name: &str) -> &'static str {
        crate::BUNDLED.iter().find(|(n, _)| n.ends_with(name)).map(|(_, t)| *t).unwrap_or("")
    }

    /// 2025.policy (unsaved, say) extends 2024.policy, open in the editor with no file on disk.
    fn analyse_2025() -> (Analysis, &'static str, Url) {
        let open = HashMap::from([(PathBuf::from("/virtual/2024.policy"), bundled("2024.policy").to_string())]);
        let uri = Url::from_file_path("/virtual/2025.policy").expect("a file URI");
        let text = bundled("2025.policy");
        (analyse(&uri, text, &open), text, uri)
    }

    #[test]
    fn definitions_reach_into_the_extended_policy() {
        let (analysis, text, _) = analyse_2025();
        let indexed = analysis.indexed.expect("2025.policy parses");
        let use_of = |needle: &str| text.find(needle).map(|o| o as u32 + 1).expect("needle");
        let parent = Url::from_file_path("/virtual/2024.policy").expect("a file URI");
        for (needle, declared) in
            [("remote_area: lingang", "    remote_area: "), ("lingang, remote_area_years", "    lingang ")]
        {
            let (_, def) = indexed.index.at(FileId(0), use_of(needle)).expect("resolves");
            let location = indexed.files.location(def.span).expect("a location");
            assert_eq!(location.uri, parent, "{needle}");
            let line = bundled("2024.policy").lines().position(|l| l.starts_with(declared)).expect("declared");
            assert_eq!(location.range.start.line as usize, line, "{needle}");
        }
    }

    /// Every kind of name a policy uses leads to its declaration, as the checker resolved it.
    #[test]
    fn each_kind_of_use_leads_to_its_declaration() {
        let text = include_str!("../../examples/other_city.policy");
        let uri = Url::from_file_path("/virtual/other_city.policy").expect("a file URI");
        let indexed = analyse(&uri, text, &HashMap::new()).indexed.expect("the example checks");
        // (the text around a use, the use within it, the start of the line declaring it)
        let cases = [
            ("match education {", "education", "    education: Education"),
            ("bachelor => 20", "bachelor", "    bachelor \"本科\""),
            ("education: Education = none", "Education", "enum Education {"),
            ("education: Education = none", "none", "    none     \"无学历\""),
            ("list of Period max 30", "Period", "record Period {"),
            ("p.months for p in periods)", "months", "    months: months"),
            ("p.months for p in periods)", "p", "record Period {"),
            ("p.months for p in periods)", "periods", "    periods:"),
            ("2 * average_wage", "average_wage", "param average_wage"),
            ("of high_months", "high_months", "let high_months"),
            ("{ high_base, invention }", "invention", "    item invention"),
            ("education: bachelor,", "bachelor", "    bachelor \"本科\""),
            ("education: bachelor,", "education", "    education: Education"),
            ("item invention = 6.67", "invention", "    item invention"),
        ];
        for (around, name, declared) in cases {
            let at = text.find(around).expect("in the example") + around.find(name).expect("in the text");
            let (span, def) = indexed.index.at(FileId(0), at as u32).unwrap_or_else(|| panic!("{name} in {around}"));
            assert_eq!(&text[span.start as usize..span.end as usize], name, "{around}");
            let line = text[..def.span.start as usize].rsplit('\n').next().unwrap_or("");
            let line_start = def.span.start as usize - line.len();
            assert!(text[line_start..].starts_with(declared), "{name} in {around} leads to `{}`", &text[line_start..]);
        }
    }

    #[test]
    fn an_error_in_the_parent_is_published_for_the_parent() {
        let parent = bundled("2024.policy").replacen("when age > 60", "when agee > 60", 1);
        let open = HashMap::from([(PathBuf::from("/virtual/2024.policy"), parent)]);
        let uri = Url::from_file_path("/virtual/2025.policy").expect("a file URI");
        let analysis = analyse(&uri, bundled("2025.policy"), &open);
        let parent_uri = Url::from_file_path("/virtual/2024.policy").expect("a file URI");
        let in_parent = &analysis.diagnostics[&parent_uri];
        assert_eq!(in_parent.len(), 1);
        assert_eq!(in_parent[0].code, Some(NumberOrString::String("E0201".into())));
        let in_child = &analysis.diagnostics[&uri];
        assert_eq!(in_child.len(), 1, "{in_child:?}");
        assert!(in_child[0].message.contains("`2024.policy` has 1 error(s)"), "{}", in_child[0].message);
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("/a/./b/../c.policy")), PathBuf::from("/a/c.policy"));
        assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
    }
}

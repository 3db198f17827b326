//! The calculator page at `/`: a form generated from the policy's inputs, and a small
//! script that posts the facts to `/api/score` and `/api/plan` as they change.
//! Everything is inline: the page loads nothing from anywhere (see [`CSP`]).
//!
//! Initial values can be given in the query string, by input name:
//! `/?age=30&si_months=6&education=bachelor_with_degree` (booleans as `true`/`false`,
//! an optional fact as `absent`; a list's rows as the JSON array the API takes,
//! `?periods=[{"months":24,"base":8000}]`). A list of records is edited row by row: a row
//! is added (up to the list's `max`) from a template of the record's fields and removed by
//! its own button; the script sends the rows as an array of objects.

use std::fmt::Write;

use serde_json::Value as Json;

use crate::rules::{InputDef, InputType, RuleSet, Value};

/// The page's Content-Security-Policy: its own inline script and style, requests to its
/// own origin, nothing else; and no other page may frame it (clickjacking).
pub(crate) const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// Text made safe for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    crate::docgen::escape_html(text)
}

/// JSON made safe inside a `<script>` element (`<` escaped inside strings).
fn script_json(value: &Json) -> String {
    value.to_string().replace('<', "\\u003c")
}

/// The marker a row's template puts in its ids, replaced by the row's number when the
/// script adds the row.
const ROW: &str = "__row__";

fn field(rs: &RuleSet, input: &InputDef) -> String {
    let name = escape(&input.name);
    let label = escape(input.label.as_deref().unwrap_or(&input.name));
    if let InputType::List { record, max } = input.ty {
        return list_field(rs, input, record, max);
    }
    let (control, classes) = control(rs, input, &name);
    let mark = if input.required() { r#"<abbr class="req" title="必填 required">*</abbr>"# } else { "" };
    format!(
        r#"<div class="{classes}" data-name="{name}"><label for="f-{name}">{label}{mark}</label><div class="control">{control}</div><code class="key">{name}</code><div class="err" id="err-{name}" role="alert"></div></div>"#
    )
}

/// A list of records: its rows (none at first), a button that adds one up to the list's
/// bound, and the template of a row, one labelled control a field of the record.
fn list_field(rs: &RuleSet, input: &InputDef, record: u16, max: u32) -> String {
    let name = escape(&input.name);
    let label = escape(input.label.as_deref().unwrap_or(&input.name));
    let fields = rs.records.get(record as usize).map(|r| &r.fields[..]).unwrap_or(&[]);
    let mut row = String::new();
    for f in fields {
        let key = format!("{name}-{ROW}-{}", escape(&f.name));
        let (control, classes) = control(rs, f, &key);
        let flabel = escape(f.label.as_deref().unwrap_or(&f.name));
        let mark = if f.required() { r#"<abbr class="req" title="必填 required">*</abbr>"# } else { "" };
        let _ = write!(
            row,
            r#"<div class="{classes}" data-field="{}"><label for="f-{key}">{flabel}{mark}</label><div class="control">{control}</div></div>"#,
            escape(&f.name)
        );
    }
    format!(
        r#"<fieldset class="field list" data-name="{name}" id="f-{name}" data-max="{max}"><legend>{label} <small>最多 {max} 行 · at most {max} rows</small></legend><ol class="rows" id="rows-{name}"></ol><div class="control"><button type="button" class="add" data-add-row="{name}" aria-controls="rows-{name}">＋ 添加一行 add a row</button></div><code class="key">{name}</code><div class="err" id="err-{name}" role="alert"></div><template id="row-{name}"><li class="row" data-row="{ROW}"><fieldset><legend>{label} · 第 <span class="n"></span> 行</legend>{row}<button type="button" class="remove" data-remove-row>删除此行 remove</button><div class="err" id="err-{name}-{ROW}" role="alert"></div></fieldset></li></template></fieldset>"#
    )
}

/// The control of one fact (an input, or a field of a row) whose element id is `f-KEY`,
/// and the classes of its box.
fn control(rs: &RuleSet, input: &InputDef, key: &str) -> (String, String) {
    let id = format!("f-{key}");
    let name = key;
    let mut control = String::new();
    let mut classes = String::from("field");
    match input.ty {
        // Lists are `list_field`'s; a list inside a record is not in the language.
        InputType::List { .. } => {}
        InputType::Bool => {
            classes.push_str(" bool");
            let checked = if input.default == Some(Value::Bool(true)) { " checked" } else { "" };
            let _ = write!(control, r#"<input type="checkbox" id="{id}" name="{name}"{checked}>"#);
        }
        InputType::Enum(e) => {
            let _ = write!(control, r#"<select id="{id}" name="{name}">"#);
            if input.optional {
                let _ = write!(control, r#"<option value="">— 无 (absent) —</option>"#);
            }
            let variants = rs.enums.get(e as usize).map(|d| &d.variants[..]).unwrap_or(&[]);
            for (k, v) in variants.iter().enumerate() {
                let selected = if input.default == Some(Value::Enum(k as u16)) { " selected" } else { "" };
                let text = escape(v.label.as_deref().unwrap_or(&v.name));
                let _ = write!(control, r#"<option value="{}"{selected}>{text}</option>"#, escape(&v.name));
            }
            control.push_str("</select>");
        }
        InputType::Int { unit } | InputType::Decimal { unit } => {
            let (step, mode) =
                if matches!(input.ty, InputType::Int { .. }) { ("1", "numeric") } else { ("0.01", "decimal") };
            let mut attrs = format!(r#" step="{step}""#);
            if let Some(m) = input.min {
                let _ = write!(attrs, r#" min="{}""#, m.normalize());
            }
            if let Some(m) = input.max {
                let _ = write!(attrs, r#" max="{}""#, m.normalize());
            }
            match input.default {
                Some(d) if d != Value::Absent => {
                    let _ = write!(attrs, r#" value="{}""#, escape(&crate::rules::show_plain(d)));
                }
                _ => {}
            }
            if input.required() {
                attrs.push_str(" required");
            }
            if input.optional {
                attrs.push_str(" disabled");
            }
            let _ = write!(control, r#"<input type="number" inputmode="{mode}" id="{id}" name="{name}"{attrs}>"#);
            let unit = unit.map_or(String::new(), |u| escape(rs.unit_label(u)));
            if !unit.is_empty() {
                let _ = write!(control, r#"<span class="unit">{unit}</span>"#);
            }
            absent_box(&mut control, input, name);
        }
        InputType::Date => {
            // The browser's date picker gives `YYYY-MM-DD`, the form a date input reads.
            let mut attrs = String::from(r#" min="1000-01-01" max="9999-12-31""#);
            if let Some(Value::Date(d)) = input.default {
                let _ = write!(attrs, r#" value="{}""#, crate::date::format(d));
            }
            if input.required() {
                attrs.push_str(" required");
            }
            if input.optional {
                attrs.push_str(" disabled");
            }
            let _ = write!(control, r#"<input type="date" id="{id}" name="{name}"{attrs}>"#);
            absent_box(&mut control, input, name);
        }
    }
    (control, classes)
}

/// An optional fact's "absent" box, checked at first.
fn absent_box(control: &mut String, input: &InputDef, key: &str) {
    if input.optional {
        let _ = write!(
            control,
            r#"<label class="absent"><input type="checkbox" id="absent-{key}" data-absent-for="{key}" checked> 无 (absent)</label>"#
        );
    }
}

/// The whole page. `schema` is [`super::policy_json`] of the same rule set, embedded
/// for the script (labels of items, variants and sections).
pub(crate) fn render(rs: &RuleSet, schema: &Json) -> String {
    let title = escape(&rs.title);
    let fields: String = rs.inputs.iter().map(|i| field(rs, i)).collect();
    format!(
        r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} {year} · 积分计算器</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>{title} · 积分计算器 <small>{year}</small></h1>
<p>标准分值 <strong>{standard}</strong> 分 · policy <code>{id}</code> · 生效 {effective}</p>
</header>
<main>
<form id="facts" autocomplete="off" novalidate>
<h2>申请人情况 <small>facts</small></h2>
{fields}
</form>
<section id="result" aria-live="polite">
<div id="summary" class="pending">
<div class="score"><span id="total">–</span><span class="of"> / <span id="standard">{standard}</span> 分</span></div>
<p id="verdict" data-meets="">填写必填项后自动计算 · fill in the required facts</p>
<p id="message"></p>
</div>
<h2>分项 <small>breakdown</small></h2>
<table id="items"><thead><tr><th>指标</th><th class="pts">分值</th><th>说明 · why</th></tr></thead><tbody></tbody></table>
<h2>怎样达到 {standard} 分 <small>what would bring you to {standard}</small></h2>
<div id="plan"><p class="muted">—</p></div>
</section>
</main>
<footer>由 jifen 计算，仅供参考；以主管部门的审核为准。 Computed by jifen — for reference only.</footer>
<script type="application/json" id="schema">{schema}</script>
<script>{SCRIPT}</script>
</body>
</html>
"#,
        year = rs.year,
        standard = rs.standard.map_or("—".to_string(), |s| rs.show_points(s)),
        id = escape(&rs.id),
        effective = escape(&rs.effective),
        schema = script_json(schema),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(script_json(&serde_json::json!({"a": "</script>"})), r#"{"a":"\u003c/script>"}"#);
    }
}

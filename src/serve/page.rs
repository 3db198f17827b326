//! The calculator page at `/`: a form generated from the policy's inputs, and a small
//! script that posts the facts to `/api/score` and `/api/plan` as they change.
//! Everything is inline: the page loads nothing from anywhere (see [`CSP`]).
//!
//! Initial values can be given in the query string, by input name:
//! `/?age=30&si_months=6&education=bachelor_with_degree` (booleans as `true`/`false`,
//! an optional fact as `absent`).

use std::fmt::Write;

use serde_json::Value as Json;

use crate::rules::{InputDef, InputType, RuleSet, Value};

/// The page's Content-Security-Policy: its own inline script and style, requests to its
/// own origin, nothing else; and no other page may frame it (clickjacking).
pub const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// Text made safe for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    crate::docgen::escape_html(text)
}

/// JSON made safe inside a `<script>` element (`<` escaped inside strings).
fn script_json(value: &Json) -> String {
    value.to_string().replace('<', "\\u003c")
}

fn field(rs: &RuleSet, input: &InputDef) -> String {
    let name = escape(&input.name);
    let label = escape(input.label.as_deref().unwrap_or(&input.name));
    let id = format!("f-{name}");
    let mut control = String::new();
    let mut classes = String::from("field");
    match input.ty {
        // The rows as JSON text, one object a row (adding and removing rows is left to come).
        InputType::List { .. } => {
            classes.push_str(" list");
            let _ = write!(
                control,
                r#"<textarea id="{id}" name="{name}" rows="3" placeholder="[{{&quot;months&quot;: 24, …}}]"></textarea>"#
            );
        }
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
            if input.optional {
                let _ = write!(
                    control,
                    r#"<label class="absent"><input type="checkbox" id="absent-{name}" data-absent-for="{name}" checked> 无 (absent)</label>"#
                );
            }
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
            if input.optional {
                let _ = write!(
                    control,
                    r#"<label class="absent"><input type="checkbox" id="absent-{name}" data-absent-for="{name}" checked> 无 (absent)</label>"#
                );
            }
        }
    }
    let mark = if input.required() { r#"<abbr class="req" title="必填 required">*</abbr>"# } else { "" };
    format!(
        r#"<div class="{classes}" data-name="{name}"><label for="{id}">{label}{mark}</label><div class="control">{control}</div><code class="key">{name}</code><div class="err" id="err-{name}" role="alert"></div></div>"#
    )
}

/// The whole page. `schema` is [`super::policy_json`] of the same rule set, embedded
/// for the script (labels of items, variants and sections).
pub fn render(rs: &RuleSet, schema: &Json) -> String {
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

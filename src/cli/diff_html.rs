//! `jifen diff --html`: the briefing as one standalone page (no outside resources, printable)
//! — headline, a bar chart of the bands, the breakdown, the drivers, the regions and the rule
//! changes. It is drawn from the same JSON report `--format json` writes, so the page and the
//! machine output never disagree. Every text from a policy or a population is escaped.

use std::fmt::Write as _;

use serde_json::Value;

use crate::docgen::escape_html as esc;

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn signed(v: &Value) -> String {
    match v.as_i64() {
        Some(n) if n > 0 => format!("+{n}"),
        _ => text(v),
    }
}

const STYLE: &str = "
body { font-family: 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif;
       margin: 2rem auto; max-width: 60rem; color: #1d2430; line-height: 1.5; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d0d5dd; padding-bottom: .2rem; }
.sub { color: #5b6472; margin-top: 0; }
.headline { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1rem 0; }
.figure { border: 1px solid #d0d5dd; border-radius: 6px; padding: .6rem 1rem; min-width: 8rem; }
.figure b { display: block; font-size: 1.6rem; }
.gain { color: #137333; } .lose { color: #b3261e; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eceff3; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bar { height: .9rem; background: #5470c6; display: inline-block; vertical-align: middle; }
.bar.neg { background: #d9534f; } .bar.zero { background: #a0a7b4; }
code { font-family: ui-monospace, 'Noto Sans Mono CJK SC', monospace; font-size: .88rem; }
.note { color: #5b6472; font-size: .9rem; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
";

/// The page for a diff report `v` (the `--format json` value), titled with the policy.
pub(crate) fn render(v: &Value, title: &str) -> String {
    let mut h = String::new();
    let (old, new) = (&v["old"], &v["new"]);
    let heading = format!("{title}: {} → {}", text(&old["year"]), text(&new["year"]));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"sub\">{} → {}</p>\n",
        esc(&heading),
        esc(&heading),
        esc(&text(&old["file"])),
        esc(&text(&new["file"])),
    );
    let summary = &v["summary"];
    if summary.is_object() {
        headline(&mut h, summary);
        bands(&mut h, summary);
        breakdown(&mut h, summary);
        drivers(&mut h, summary);
        not_given(&mut h, summary);
    } else {
        h.push_str("<p class=\"note\">No population was given (<code>--applicants</code>): the page shows the rule changes and the regions found from the rules alone.</p>\n");
    }
    regions(&mut h, v);
    changes(&mut h, v);
    h.push_str("</body>\n</html>\n");
    h
}

fn headline(h: &mut String, s: &Value) {
    if let Some(p) = s["population_line"].as_str() {
        let _ = writeln!(h, "<p class=\"sub\">Population: {}</p>", esc(p));
    }
    h.push_str("<div class=\"headline\">\n");
    for (label, key, class) in [
        ("gain", "gain", "gain"),
        ("lose", "lose", "lose"),
        ("unchanged", "same", ""),
        ("newly meet the standard", "newly_meet_standard", "gain"),
        ("no longer meet it", "no_longer_meet_standard", "lose"),
    ] {
        let _ = writeln!(h, "<div class=\"figure\"><b class=\"{class}\">{}</b>{label}</div>", text(&s[key]));
    }
    h.push_str("</div>\n");
}

fn bands(h: &mut String, s: &Value) {
    let Some(bands) = s["bands"].as_array() else { return };
    let most = bands.iter().filter_map(|b| b["applicants"].as_u64()).max().unwrap_or(0).max(1);
    h.push_str(
        "<h2>Change of total</h2>\n<table>\n<tr><th>change</th><th>applicants</th><th></th><th>examples</th></tr>\n",
    );
    for b in bands {
        let n = b["applicants"].as_u64().unwrap_or(0);
        // Bars on a square-root scale, so that a band of a few is still visible beside
        // the thousands who do not change.
        let permille = if n == 0 { 0 } else { 20 + 980 * (n * 1_000_000 / most).isqrt() / 1000 };
        let width = format!("{}.{}", permille / 10, permille % 10);
        let band = text(&b["band"]);
        let class = if band == "0" {
            "zero"
        } else if band.starts_with('-') || band.starts_with('≤') {
            "neg"
        } else {
            ""
        };
        let examples: Vec<String> =
            b["examples"].as_array().map(|e| e.iter().map(|x| esc(&text(x))).collect()).unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{n}</td><td style=\"width:40%\"><span class=\"bar {class}\" style=\"width:{width}%\"></span></td><td>{}</td></tr>",
            esc(&band),
            examples.join(", ")
        );
    }
    h.push_str("</table>\n");
}

fn breakdown(h: &mut String, s: &Value) {
    let by = &s["by"];
    let Some(groups) = by["groups"].as_array() else { return };
    let _ = writeln!(
        h,
        "<h2>By {}</h2>\n<table>\n<tr><th>group</th><th>applicants</th><th>gain</th><th>lose</th><th>total change</th><th>mean change</th></tr>",
        esc(&text(&by["fact"]))
    );
    for g in groups {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n gain\">{}</td><td class=\"n lose\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&text(&g["value"])),
            text(&g["applicants"]),
            text(&g["gain"]),
            text(&g["lose"]),
            signed(&g["total_change"]),
            signed(&g["mean_change"])
        );
    }
    h.push_str("</table>\n");
}

fn drivers(h: &mut String, s: &Value) {
    let Some(drivers) = s["drivers"].as_array() else { return };
    if drivers.is_empty() {
        return;
    }
    h.push_str("<h2>Items driving the changes</h2>\n<p class=\"note\">direct: the item's own rule changed; knock-on: an unchanged item whose points moved through <code>best_of</code>, a cap or a precondition.</p>\n<table>\n<tr><th>item</th><th>kind</th><th>applicants</th><th>total change</th></tr>\n");
    for d in drivers {
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&text(&d["item"])),
            esc(&text(&d["kind"]).replace('_', "-")),
            text(&d["applicants"]),
            signed(&d["total_change"])
        );
    }
    h.push_str("</table>\n");
}

fn not_given(h: &mut String, s: &Value) {
    let Some(list) = s["not_given"].as_array() else { return };
    if list.is_empty() {
        return;
    }
    h.push_str("<h2>New or changed inputs not given</h2>\n<ul>\n");
    for n in list {
        let _ = writeln!(
            h,
            "<li><code>{}</code>: not given by {} applicants ({} %) — they take the default</li>",
            esc(&text(&n["input"])),
            text(&n["applicants"]),
            text(&n["percent"])
        );
    }
    h.push_str("</ul>\n");
}

fn regions(h: &mut String, v: &Value) {
    let Some(items) = v["regions"].as_array() else { return };
    if items.is_empty() {
        return;
    }
    h.push_str("<h2>Who changes, from the rules alone</h2>\n<p class=\"note\">An item's own points (after its preconditions and cap, before <code>best_of</code>) for applicants meeting every condition.</p>\n<table>\n<tr><th>item</th><th>applicants with</th><th>points</th></tr>\n");
    for item in items {
        let id = esc(&text(&item["item"]));
        for r in item["regions"].as_array().into_iter().flatten() {
            let conditions: Vec<String> = r["conditions"]
                .as_array()
                .map(|c| c.iter().map(|x| format!("<code>{}</code>", esc(&text(x)))).collect())
                .unwrap_or_default();
            let who = if conditions.is_empty() { "everyone".to_string() } else { conditions.join(" and ") };
            let _ = writeln!(
                h,
                "<tr><td><code>{id}</code></td><td>{who}</td><td class=\"n\">{} → {}</td></tr>",
                text(&r["old"]),
                text(&r["new"])
            );
        }
        if let Some(note) = item["note"].as_str() {
            let _ =
                writeln!(h, "<tr><td><code>{id}</code></td><td colspan=\"2\" class=\"note\">{}</td></tr>", esc(note));
        }
        sample(h, &id, &item["sample"]);
    }
    h.push_str("</table>\n");
}

/// What a sample of generated applicants shows of an item (`id` already escaped): said to be
/// a sample, with its changes and a few examples.
fn sample(h: &mut String, id: &str, s: &Value) {
    if !s.is_object() {
        return;
    }
    let _ = writeln!(
        h,
        "<tr><td><code>{id}</code></td><td class=\"note\"><b>A sample, not exact:</b> {} of {} applicants generated by <code>jifen gen</code> (seed {}) change: {} up, {} down</td><td class=\"n\">{}</td></tr>",
        text(&s["changed"]),
        text(&s["applicants"]),
        text(&s["seed"]),
        text(&s["up"]),
        text(&s["down"]),
        match (s["least"].as_str(), s["most"].as_str()) {
            (Some(a), Some(b)) => format!("by {} to {}", esc(a), esc(b)),
            _ => String::new(),
        }
    );
    for c in s["changes"].as_array().into_iter().flatten() {
        let _ = writeln!(
            h,
            "<tr><td><code>{id}</code></td><td class=\"note\">{} sampled applicants</td><td class=\"n\">{} → {}</td></tr>",
            text(&c["applicants"]),
            text(&c["old"]),
            text(&c["new"])
        );
    }
    for e in s["examples"].as_array().into_iter().flatten() {
        let _ = writeln!(
            h,
            "<tr><td><code>{id}</code></td><td colspan=\"2\" class=\"note\">e.g. {}</td></tr>",
            esc(&text(e))
        );
    }
}

fn changes(h: &mut String, v: &Value) {
    let Some(list) = v["changes"].as_array() else { return };
    h.push_str("<h2>Rule changes</h2>\n");
    if list.is_empty() {
        h.push_str("<p>The rules are the same.</p>\n");
        return;
    }
    h.push_str("<table>\n<tr><th></th><th>what</th><th>change</th></tr>\n");
    for c in list {
        let sign = match c["kind"].as_str() {
            Some("added") => "+",
            Some("removed") => "−",
            _ => "~",
        };
        let mut what = format!("{} <code>{}</code>", esc(&text(&c["what"])), esc(&text(&c["id"])));
        if let Some(f) = c["field"].as_str() {
            let _ = write!(what, " ({})", esc(f));
        }
        let change = match (c.get("old"), c.get("new")) {
            (Some(a), Some(b)) => format!("<code>{}</code> → <code>{}</code>", esc(&text(a)), esc(&text(b))),
            (None, Some(b)) => format!("<code>{}</code>", esc(&text(b))),
            (Some(a), None) => format!("was <code>{}</code>", esc(&text(a))),
            _ => String::new(),
        };
        let affects = c["affects"]
            .as_array()
            .filter(|a| !a.is_empty())
            .map(|a| {
                let ids: Vec<String> = a.iter().map(|x| esc(&text(x))).collect();
                format!("<br><span class=\"note\">read by {}</span>", ids.join(", "))
            })
            .unwrap_or_default();
        let _ = writeln!(h, "<tr><td>{sign}</td><td>{what}</td><td>{change}{affects}</td></tr>");
    }
    h.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_policies_and_populations_is_escaped() {
        let v = serde_json::json!({
            "old": {"file": "a<b>.policy", "year": 2024},
            "new": {"file": "b.policy", "year": 2025},
            "changes": [{"kind": "added", "what": "item", "id": "x", "new": "<script>alert(1)</script>"}],
            "regions": [],
        });
        let page = render(&v, "<img src=x onerror=alert(1)>");
        assert!(!page.contains("<script>") && !page.contains("<img"), "{page}");
        assert!(page.contains("&lt;script&gt;") && page.contains("a&lt;b&gt;.policy"));
        assert!(!page.contains("http://") && !page.contains("https://"), "no outside resources");
    }
}

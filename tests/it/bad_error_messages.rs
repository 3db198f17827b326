//! Messages known to be unclear, recorded as snapshots until someone improves them.
//!
//! Each case is a mistake a policy editor on a Chinese keyboard really makes, with what is
//! wrong with today's message. When a fix lands, the snapshot changes: check that the new
//! message is the clear one (right line and column, a help that fixes the file), then move
//! the case into the corpus (`tests/<feature>/bad/`) and delete it here.
//!
//! Fixed and moved to the corpus: the `extends` cycle path now ends where it closes
//! (`tests/extends/bad/cycle_a.policy`), and `override` of a misspelt name suggests the
//! inherited one (`tests/extends/bad/override_missing_param.policy`). The syntax cases —
//! full-width punctuation and Chinese quotes, `元`, `12,434`, `80%`, `yuna`, an id in
//! Chinese, `=` for `==`, `&&`, a chained comparison, an unclosed label and an unclosed `{`
//! — are now in `tests/syntax/bad/`, each under the name it had here. The silent mistakes — a
//! shadowed `when` arm and an always-true precondition — now warn (W0109, W0112):
//! `tests/lints/good/shadowed_when_arm_warn.policy` and `constant_condition_warn.policy`.

/// A small policy with one mistake put in place of `{MISTAKE}`.
fn policy(mistake: &str) -> String {
    format!(
        r#"policy demo "演示" {{
    year 2025
    effective 2025-07-01
    standard 120
}}

enum Education {{ none "无", bachelor "本科" }}

input {{
    age: int 16..=70 "年龄",
    si_months: months 0.. "社保月数",
    education: Education = none "学历",
    has_permit: bool = false "居住证",
    wage: yuan 0.. = 0 yuan "月工资",
}}

param average_wage = 12434 yuan "平均工资"

section basic "基础指标" {{
    item base "基础" {{
        when si_months >= 6 months and education == bachelor and wage < 100 * average_wage => 120
        else => 0
    }}
{mistake}
}}
"#
    )
}

fn rendered(mistake: &str) -> String {
    let text = policy(mistake);
    let report = jifen::check_with("draft.policy", &text, &jifen::FsLoader);
    report.diagnostics.render_human(false, 100)
}

/// (name, what is wrong with today's message, the mistake)
const CASES: &[(&str, &str, &str)] = &[];

#[test]
fn known_unclear_messages() {
    for (name, why, mistake) in CASES {
        let output = rendered(mistake);
        insta::with_settings!({ description => *why, omit_expression => true }, {
            insta::assert_snapshot!(*name, output);
        });
    }
}

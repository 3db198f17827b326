//! Messages known to be unclear, recorded as snapshots until someone improves them.
//!
//! Each case is a mistake a policy editor on a Chinese keyboard really makes, with what is
//! wrong with today's message. When a fix lands, the snapshot changes: check that the new
//! message is the clear one (right line and column, a help that fixes the file), then move
//! the case into the corpus (`tests/<feature>/bad/`) and delete it here.
//!
//! Fixed and moved to the corpus: the `extends` cycle path now ends where it closes
//! (`tests/extends/bad/cycle_a.policy`), and `override` of a misspelt name suggests the
//! inherited one (`tests/extends/bad/override_missing_param.policy`).

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
const CASES: &[(&str, &str, &str)] = &[
    (
        "unclosed_label_quote",
        "says `{` is missing at the end of the line (column 30 counts bytes; it is character 26); the quote was never closed",
        "    item age_points \"年龄 {\n        min(30, 70 - age)\n    }",
    ),
    (
        "single_equals_in_condition",
        "suggests adding `=>` before `=`; the fix is `==`",
        "    item edu \"学历\" {\n        when education = bachelor => 60\n        else => 0\n    }",
    ),
    (
        "double_ampersand",
        "suggests adding `=>` before `&&`; the fix is `and`",
        "    item edu \"学历\" {\n        when has_permit && age < 35 => 60\n        else => 0\n    }",
    ),
    ("fullwidth_colon", "asks for `:` before `：`; should name the full-width colon", "    item edu \"学历\" {\n        match education {\n            bachelor => 60\n            none => 0\n        }\n    }\n    item w \"工资\" {\n        when wage >= 2 * average_wage => 10\n        else => 0\n    }\n}\ninput {\n    extra： int \"额外\""),
    (
        "fullwidth_comma_in_call",
        "a long token list; should name the full-width comma and replace it",
        "    item age_points \"年龄\" {\n        min(30，70 - age)\n    }",
    ),
    (
        "fullwidth_parentheses",
        "a long token list; should name the full-width parentheses",
        "    item age_points \"年龄\" {\n        min（30, 70 - age）\n    }",
    ),
    ("chinese_quotes", "a long token list; should name the Chinese quotes", "    item age_points “年龄” {\n        min(30, 70 - age)\n    }"),
    (
        "yuan_in_chinese",
        "a long token list; should suggest `yuan` for `元`",
        "    item w \"工资\" {\n        when wage >= 12434 元 => 10\n        else => 0\n    }",
    ),
    (
        "thousands_separator",
        "a long token list; should suggest `12434` for `12,434`",
        "    item w \"工资\" {\n        when wage >= 12,434 yuan => 10\n        else => 0\n    }",
    ),
    (
        "percent_sign",
        "a long token list; should explain that `80%` is written `0.8`",
        "    item w \"工资\" {\n        when wage >= 80% * average_wage => 10\n        else => 0\n    }",
    ),
    (
        "misspelt_unit",
        "a long token list; should suggest `yuan` for `yuna`",
        "    item w \"工资\" {\n        when wage >= 12434 yuna => 10\n        else => 0\n    }",
    ),
    ("chinese_item_id", "a long token list; should say ids are written in ASCII letters", "    item 年龄分 \"年龄\" {\n        min(30, 70 - age)\n    }"),
    (
        "chained_comparison",
        "says it cannot compare a yes/no value; should say comparisons cannot be chained",
        "    item w \"工资\" {\n        when 5 years <= si_months <= 30 years => 10\n        else => 0\n    }",
    ),
    (
        "missing_closing_brace",
        "reported lines later; nothing points at the `{` that was never closed",
        "    item age_points \"年龄\" {\n        min(30, 70 - age)\n\n    item edu \"学历\" {\n        match education {\n            bachelor => 60\n            none => 0\n        }\n    }",
    ),
    (
        "shadowed_when_arm",
        "no warning; the second arm can never fire",
        "    item p \"居住证\" {\n        when has_permit => 30\n        when has_permit and age < 35 => 20\n        else => 0\n    }",
    ),
    (
        "always_true_precondition",
        "no warning; the precondition is always true",
        "    item p \"居住证\" {\n        requires has_permit or not has_permit \"总是成立\"\n        when age < 35 => 20\n        else => 0\n    }",
    ),
];

#[test]
fn known_unclear_messages() {
    for (name, why, mistake) in CASES {
        let output = rendered(mistake);
        insta::with_settings!({ description => *why, omit_expression => true }, {
            insta::assert_snapshot!(*name, output);
        });
    }
}

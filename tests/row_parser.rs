//! The batch row parser (a plain-JSON scanner and a fast fill of the applicant, falling
//! back to the general path) against `RawRow::parse`: the same id, applicant, or error, on
//! generated rows and on rows mutated toward every corner the fast path must decline.

use jifen::population::{generate_row, RawRow, Rng, RowParser};
use jifen::RuleSet;

fn policy(name: &str) -> RuleSet {
    let path = format!("{}/policies/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("the bundled policy is readable");
    jifen::check_with(&path, &text, &jifen::FsLoader).ruleset.expect("the bundled policy compiles")
}

/// Variants of a generated row: each edit is something a row may plausibly hold.
fn variants(row: &str) -> Vec<String> {
    let edits: [(&str, &str); 24] = [
        (":", " : "),
        (",", " ,\t"),
        ("{", " {\r\n "),
        ("\"age\":", "\"a\\u0067e\":"),
        ("\"age\":", "\"age\":null,\"age\":"),
        ("\"age\":", "\"agee\":"),
        ("\"age\":", "\"age\":1e1,\"x\":"),
        ("\"si_months\":", "\"si_months\":-0,\"y\":"),
        ("\"si_months\":", "\"si_months\":\"12\",\"z\":"),
        ("\"age\":", "\"age\":007,\"q\":"),
        ("\"age\":", "\"age\":30.0,\"q\":"),
        ("\"age\":", "\"age\":99999999999999999999,\"q\":"),
        ("\"age\":", "\"age\":null,\"q\":"),
        ("\"age\":", "\"age\":15,\"q\":"),
        ("\"age\":", "\"age\":70,\"age2\":"),
        ("\"age\":", "\"age\":true,\"q\":"),
        ("\"id\":", "\"id\":\"a,\\\"b\",\"i\":"),
        ("\"id\":", "\"id\":true,\"i\":"),
        ("\"id\":", "\"id\":null,\"i\":"),
        ("\"id\":", "\"id\":[1],\"i\":"),
        ("true", "tru"),
        ("false", "false "),
        ("}", "},"),
        ("\"none\"", "\"non\te\""),
    ];
    let mut out =
        vec![row.to_string(), format!("\u{feff}{row}"), format!("[{row}]"), row.replace("\"id\":", "\"id\" :")];
    for (from, to) in edits {
        if row.contains(from) {
            out.push(row.replacen(from, to, 1));
        }
    }
    // Every prefix of a short row: cut anywhere, the row is broken the same way.
    if row.len() < 200 {
        out.extend((0..row.len()).filter(|&i| row.is_char_boundary(i)).map(|i| row[..i].to_string()));
    }
    out
}

fn same(rules: &RuleSet, text: &str) {
    let row = RawRow::json(1, text.to_string());
    let mut parser = RowParser::new(rules);
    let fast = parser.parse(&row).map(|(id, a)| (id.map(|s| s.into_owned()), a.clone()));
    let slow = row.parse(rules);
    assert_eq!(fast, slow, "row: {text}");
}

#[test]
fn the_row_parser_reads_what_the_general_path_reads() {
    for name in ["2024.policy", "2025.policy"] {
        let rules = policy(name);
        let mut rng = Rng::new(3);
        for i in 0..400 {
            let row = generate_row(&rules, &mut rng, i);
            for text in variants(&row) {
                same(&rules, &text);
            }
        }
        same(&rules, "{}");
        same(&rules, " { } ");
        same(&rules, "{\"age\": 30, \"si_months\": 36}");
    }
}

#[test]
fn one_parser_reads_many_rows_without_leftovers() {
    let rules = policy("2025.policy");
    let mut parser = RowParser::new(&rules);
    let mut rng = Rng::new(5);
    for i in 0..500 {
        let text = generate_row(&rules, &mut rng, i);
        let row = RawRow::json(1, text.clone());
        let fast = parser.parse(&row).map(|(id, a)| (id.map(|s| s.into_owned()), a.clone()));
        assert_eq!(fast, row.parse(&rules), "row: {text}");
    }
}

//! Inputs the fuzzers (fuzz/, docs/testing.md "Fuzzing") found to break jifen, each kept
//! with the check its target makes, so the bug stays fixed.

use jifen::internals::fmt::format_source;

/// A file that parses is formatted, and formatting the result changes nothing.
fn assert_formats_stably(text: &str) {
    let formatted = match format_source("regression.policy", text) {
        Ok(formatted) => formatted,
        Err(e) => panic!("fmt refused a file that parses: {e}\n{text}"),
    };
    assert_eq!(format_source("regression.policy", &formatted).unwrap(), formatted);
}

/// fmt_roundtrip, crash-f7bc3c88: `30per year of si_months` parses as `30 per year of …`,
/// but fmt's scanner read `30per` as one word, lost the number, and refused its own output.
#[test]
fn a_number_written_against_a_keyword_keeps_its_digits() {
    // The fuzzer's input, byte for byte.
    let text = concat!(
        "policy demo \"演示\" {\n",
        "    year      2025\n",
        "    effective 2025-01-01\n",
        "    standard  120\n",
        "}\n",
        "\n",
        "input {\n",
        "    si_months:      moshnt 0..   \"在本市缴纳职工社会保险的月数\"\n",
        "    fresh_graduate: bool = false \"全日制应届高校毕业生\"\n",
        "}\n",
        "\n",
        "section basic \"基础指标\" {\n",
        "    item si_years \"社保年限\" {\n",
        "        30per year of si_months\n",
        "    }\n",
        "    item fresh_graduate \"应届毕业生\" {\n",
        "        when fresh_graduate => 10\n",
        "        else => 0\n",
        "    }\n",
        "}\n",
        "\n",
        "test \"应届毕业生\" {\n",
        "    given { si_months: 120, fresh_graduate: 1 }\n",
        "    expect total = 40\n",
        "}\n",
    );
    assert_formats_stably(text);
    let formatted = format_source("regression.policy", text).unwrap();
    assert!(formatted.contains("30 per year of si_months"), "{formatted}");
    // Numbers against `per` and its amount, and a unit after an amount with `_`.
    assert_formats_stably(concat!(
        "policy p \"p\" { year 2025 effective 2025-01-01 standard 1 }\n",
        "input { m: months 0.. }\n",
        "section s \"s\" { item a \"a\" { 2per 6 months of m + 1_000per 12_0 months of m } }\n",
    ));
}

/// fmt_roundtrip, crash-6031bb68: `year120` reads as `year 120` (header fields are a word and
/// a value), but fmt took the value to be the tokens after the word and printed `year` alone.
#[test]
fn a_header_field_written_against_its_value_keeps_the_value() {
    assert_formats_stably("policy demo \"演示\" {\n    year120\n}");
    let formatted =
        format_source("regression.policy", "policy p \"p\" { year2025 effective2025-01-01 standard120 }\n").unwrap();
    assert!(formatted.contains("    year      2025\n    effective 2025-01-01\n    standard  120\n"), "{formatted}");
}

/// parse, timeout-00f46b51: a libFuzzer timeout (12 s) on a mangled copy of a policy with NUL
/// bytes and nested unclosed `match (` lines, reported while the machine was loaded and the
/// fuzzer niced. Parsing it must take well under a second.
#[test]
fn a_mangled_file_of_nested_open_matches_parses_quickly() {
    let text = String::from_utf8_lossy(include_bytes!("../fuzz_inputs/timeout-00f46b51.policy")).into_owned();
    let started = std::time::Instant::now();
    let (file, _) = jifen::syntax::parse(jifen::source::FileId::default(), &text);
    let elapsed = started.elapsed();
    assert!(file.is_none(), "the file is not a policy");
    assert!(elapsed < std::time::Duration::from_secs(2), "parsing took {elapsed:?}");
}

/// fmt_roundtrip, crash-1c627954: in `unit le/// A year after …` the grammar read `/` as the
/// slash before a singular, skipped `// A year after …` as a comment and took the next line's
/// word as the singular; fmt then wrote the comment where it read differently and refused its
/// own output (an internal error, exit 70). `///` after a unit's name is a comment now: the
/// fuzzer's file is a syntax error (its last word declares nothing), and a doc comment after a
/// unit documents the next declaration, formatted stably.
#[test]
fn three_slashes_after_a_unit_name_start_a_comment_not_a_singular() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_inputs/crash-1c627954.policy"))
        .expect("the fuzzer's input");
    assert!(
        matches!(format_source("regression.policy", &text), Err(jifen::internals::fmt::FormatError::Syntax(_))),
        "the file is not a policy"
    );
    let header = "policy p \"P\" {\n    year 2025\n    effective 2025-01-01\n    standard 0\n}\n\n";
    let text =
        format!("{header}unit le / hour // c\nunit trips///doc of the input\ninput {{\n    n: int 0.. \"N\"\n}}\n");
    assert_formats_stably(&text);
    let formatted = format_source("regression.policy", &text).expect("formats");
    assert!(formatted.contains("unit le / hour // c\n"), "{formatted}");
    assert!(formatted.contains("unit trips\n"), "{formatted}");
}

/// compile, crash-a4131c28 (the text the target read: the input's valid UTF-8 before its
/// first invalid byte): a record field `months 9223372036854775807..` (no maximum) made
/// the applicant generator add a plausible span to the largest `i64` (an overflow: a panic
/// in a debug build, a wrapped, out-of-range value in a release one). Its bounds saturate
/// now: every generated period has exactly the minimum, 9223372036854775807 months, and the
/// scorer agrees with the reference evaluator on each applicant.
#[test]
fn a_minimum_at_the_largest_integer_generates_applicants_at_it() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_inputs/crash-a4131c28.policy"))
        .expect("the fuzzer's input");
    let loader = jifen::bundled_loader();
    let report = jifen::check_with("fuzz.policy", &text, &loader);
    let ruleset = report.ruleset.expect("the policy compiles");
    let scorer = ruleset.scorer();
    let model = jifen::internals::population::Model::default_for(&ruleset);
    let mut rng = jifen::internals::population::Rng::new(text.len() as u64);
    let mut periods = 0;
    for i in 0..8 {
        let row = model.row(&ruleset, &mut rng, i);
        let json: serde_json::Value = serde_json::from_str(&row).expect("a JSON row");
        for period in json["periods"].as_array().into_iter().flatten() {
            assert_eq!(period["months"].as_i64(), Some(i64::MAX), "{row}");
            periods += 1;
        }
        let (_, applicant) = jifen::internals::population::RawRow::json(1, row).parse(&ruleset).expect("valid");
        assert_eq!(scorer.evaluate(&applicant), ruleset.evaluate(&applicant));
    }
    assert!(periods > 0, "some applicant has a period");
}

/// The generator's uniform draw over any pair of bounds: the widest (every `i64`) and one
/// that crosses zero stay within their bounds, with no overflow.
#[test]
fn a_draw_between_any_two_integers_stays_within_them() {
    let mut rng = jifen::internals::population::Rng::new(7);
    for _ in 0..1000 {
        let _ = rng.range(i64::MIN, i64::MAX);
        assert!((i64::MIN..=-1).contains(&rng.range(i64::MIN, -1)));
        assert!((-3..=3).contains(&rng.range(-3, 3)));
        assert!((i64::MAX - 1..=i64::MAX).contains(&rng.range(i64::MAX - 1, i64::MAX)));
    }
    assert_eq!(rng.range(i64::MAX, i64::MAX), i64::MAX);
}

/// fmt_roundtrip, crash-479d81f8: `120 _months` (a number and a unit whose name starts with
/// `_`, as a unit's name may) was written back as `120_months`, which reads as the number
/// `120_` and a name: fmt refused its own output (an internal error). The unit keeps its
/// space now, whatever letter or `_` it starts with.
#[test]
fn a_unit_starting_with_an_underscore_keeps_its_space_after_the_number() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_inputs/crash-479d81f8.policy"))
        .expect("the fuzzer's input");
    assert_formats_stably(&text);
    let formatted = format_source("regression.policy", &text).expect("formats");
    assert!(formatted.contains("given { si_months: 120 _months }"), "{formatted}");
}

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

/// fmt_roundtrip, crash-6031bb68: `year120` read as `year 120`, but fmt took the value to be
/// the tokens after the word and printed `year` alone. A header word is a word of its own now
/// (crash-c20ea523 below): `year120` is a syntax error whose help says where the space goes,
/// and a header written with its spaces formats stably.
#[test]
fn a_header_field_written_against_its_value_is_refused_with_the_space_to_add() {
    let text = "policy p \"p\" { year2025 effective2025-01-01 standard120 }\n";
    let (file, diagnostics) = jifen::syntax::parse(jifen::source::FileId::default(), text);
    assert!(file.is_none(), "`year2025` is one word");
    let [error] = diagnostics.as_slice() else { panic!("one error: {diagnostics:?}") };
    assert_eq!(error.help.as_deref(), Some("write a space after `year`: `year 2025`"));
    // The fix inserts the space just after `year`: `policy p "p" { ` is 15 bytes, `year` 4.
    let (at, space) = error.fix.clone().expect("a fix");
    assert_eq!((at.start, at.end, space.as_str()), (19, 19, " "));
    let formatted =
        format_source("regression.policy", "policy p \"p\" { year 2025 effective 2025-01-01 standard 120 }\n").unwrap();
    assert_formats_stably(&formatted);
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

/// fmt_roundtrip, crash-c20ea523: the header's words (`year`, `effective`, `standard`,
/// `points`, `round`, `floor`) were matched as prefixes, so `floor00000points0002` read as
/// `floor 00000 points 0002` while fmt's scanner saw one word, and fmt refused its own output
/// (an internal error, exit 70). A header word is a word of its own now, as every keyword
/// is: the fuzzer's file is a syntax error, and a number written against the next word
/// (`year 20floor 0`, as `30per` is `30 per`) still reads.
#[test]
fn a_header_word_is_a_word_of_its_own() {
    let text = String::from_utf8_lossy(include_bytes!("../fuzz_inputs/crash-c20ea523.policy")).into_owned();
    assert!(
        matches!(format_source("regression.policy", &text), Err(jifen::internals::fmt::FormatError::Syntax(_))),
        "`floor00…` is one word, not `floor` and a number"
    );
    for glued in ["year2025", "effective2025-01-01", "standard120", "points1", "floor0"] {
        let text = format!("policy p \"P\" {{\n    {glued}\n}}\n");
        assert!(
            matches!(format_source("regression.policy", &text), Err(jifen::internals::fmt::FormatError::Syntax(_))),
            "`{glued}` is one word"
        );
    }
    let text = "policy p \"P\" {\n    year 2025floor 0\n    points 1 round half_up\n}\n";
    assert_formats_stably(text);
    let formatted = format_source("regression.policy", text).expect("formats");
    assert!(formatted.contains("year      2025\n    floor     0\n    points    1 round half_up\n"), "{formatted}");
    let text = "policy p \"P\" {\n    points 1 roundhalf_up\n}\n";
    assert!(matches!(format_source("regression.policy", text), Err(jifen::internals::fmt::FormatError::Syntax(_))));
}

/// fmt_roundtrip, crash-707cbb2a: doc lines both above `override` and below it (`/// a`
/// `override` `/// b` `let …`): the declaration kept only the lines below and dropped the
/// others, fmt wrote them all above `override`, which then read as other docs, and fmt
/// refused its own output (an internal error, exit 70). Both now document the declaration,
/// in order, as fmt writes them.
#[test]
fn doc_lines_above_and_below_override_both_document_the_declaration() {
    // The fuzzer's file: what libFuzzer gives a `&str` target, its valid UTF-8 start.
    let bytes = include_bytes!("../fuzz_inputs/crash-707cbb2a.policy");
    let valid = bytes.utf8_chunks().next().map_or("", |chunk| chunk.valid());
    assert_eq!(valid.len(), 405, "the file is valid UTF-8 up to byte 405");
    assert_formats_stably(valid);
    let text = "policy p \"P\" {\n    year 2025\n}\n\n/// above\noverride\n/// below\nlet g = 1\n";
    assert_formats_stably(text);
    let formatted = format_source("regression.policy", text).expect("formats");
    assert!(formatted.contains("/// above\n/// below\noverride let g = 1\n"), "{formatted}");
    let (file, _) = jifen::syntax::parse(jifen::source::FileId::default(), text);
    let Some(jifen::syntax::ast::Decl::Override(jifen::syntax::ast::Override::Let(decl))) =
        file.expect("parses").decls.into_iter().next()
    else {
        panic!("an overriding `let`");
    };
    assert_eq!(decl.docs.as_deref(), Some("above\nbelow"));
}

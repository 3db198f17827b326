fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = &args[1];
    let text = std::fs::read_to_string(path).unwrap();
    let report = jifen::check_with(path, &text, &jifen::FsLoader);
    print!("{}", report.diagnostics.render_human(false, 100));
    if let Some(rs) = report.ruleset {
        println!("OK {} items", rs.items.len());
        for r in rs.run_tests(None) { println!("{} {} {:?}", r.name, r.passed, r.mismatches); }
    }
}

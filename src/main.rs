fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = &args[1];
    let text = std::fs::read_to_string(path).unwrap();
    let report = jifen::check_with(path, &text, &jifen::FsLoader);
    print!("{}", report.diagnostics.render_human(false, 100));
    if let Some(rs) = report.ruleset {
        println!("OK {} items", rs.items.len());
        if args.len() > 2 {
            let a = rs.applicant_from_json(&args[2]).unwrap();
            println!("{:#?}", rs.evaluate(&a).unwrap().items.iter().map(|i| (i.id.to_string(), i.points, format!("{:?}", i.status))).collect::<Vec<_>>());
        }
    }
}

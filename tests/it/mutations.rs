//! Random truncations and byte mutations of the bundled policies: each must give a clean
//! compile or coded diagnostics, never a panic. Deterministic (fixed seeds).

use jifen::internals::population::Rng;

fn check(name: &str, text: &str) {
    let report = jifen::check_with(name, text, &jifen::bundled_loader());
    if report.ruleset.is_none() {
        assert!(report.diagnostics.has_errors(), "{name}: no rule set and no error");
    }
    for d in &report.diagnostics.list {
        assert!(d.code.info().is_some(), "uncoded diagnostic: {}", d.message);
    }
    // Rendering every diagnostic must not panic either.
    let _ = report.diagnostics.render_human(false, 100);
}

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..rng.range(1, 4) {
        let at = rng.range(0, bytes.len() as i64 - 1) as usize;
        match rng.range(0, 3) {
            0 => {
                let pool = b"{}()\"/=;:.,-+*<>?0123456789_abz \n";
                bytes[at] = pool[rng.range(0, pool.len() as i64 - 1) as usize];
            }
            1 => {
                bytes.remove(at);
            }
            2 => {
                let pool = b"{}\"/#";
                bytes.insert(at, pool[rng.range(0, pool.len() as i64 - 1) as usize]);
            }
            _ => bytes.truncate(at),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn truncations_and_mutations_give_coded_diagnostics() {
    for (name, text) in jifen::BUNDLED {
        let mut rng = Rng::new(2025);
        // Truncations at 300 places spread over the file.
        for k in 0..300 {
            let mut at = text.len() * k / 300;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            check(name, &text[..at]);
        }
        for _ in 0..700 {
            check(name, &mutate(text, &mut rng));
        }
    }
}

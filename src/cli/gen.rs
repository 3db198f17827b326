//! `jifen gen`: plausible applicants drawn from a policy's input schema.

use jifen::population::{Model, Rng};

use super::exit;
use super::input::load_policy;
use super::output::Output;

/// Write generated applicants as JSON lines (for demos, benchmarks and diffs without private data).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  jifen gen --count 1000 --seed 7 > people.jsonl\n  \
jifen gen --count 1000000 -o million.jsonl\n  jifen gen --count 5 --policy policies/2024.policy\n  jifen gen --model examples/shanghai.model.toml --count 1000\n\n\
The same seed, model and policy always give the same applicants. Rows are named\n\
synthetic-000001, … so nobody takes them for real people.")]
pub struct Args {
    /// How many applicants to write.
    #[arg(long, default_value_t = 100)]
    pub count: u64,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Policy whose inputs to draw from (default: the bundled 2025 policy).
    #[arg(long)]
    pub policy: Option<String>,
    /// Population model (TOML, see docs/cli.md); default: the bundled Shanghai model over
    /// the policy's own defaults.
    #[arg(long, value_name = "FILE")]
    pub model: Option<String>,
    /// Output file (default: standard output).
    #[arg(short, long)]
    pub output: Option<String>,
}

pub fn run(args: Args) -> u8 {
    let ruleset = match load_policy(args.policy.as_deref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let model = match &args.model {
        None => Model::default_for(&ruleset),
        Some(path) => {
            let text = match super::input::read(path) {
                Ok(t) => t,
                Err(code) => return code,
            };
            match Model::from_toml(&ruleset, &text, true) {
                Ok(m) => m,
                Err(e) => {
                    super::fail(&format!("{path}: {e}"), Some("the model format is in docs/cli.md (`jifen gen`)"));
                    return exit::POLICY;
                }
            }
        }
    };
    let mut out = match Output::create(args.output.as_deref()) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut rng = Rng::new(args.seed);
    let mut buf = String::with_capacity(1 << 16);
    for id in 1..=args.count {
        buf.push_str(&model.row(&ruleset, &mut rng, id));
        buf.push('\n');
        if buf.len() > 60_000 {
            if let Err(code) = out.write(buf.as_bytes()) {
                return code;
            }
            buf.clear();
        }
    }
    if let Err(code) = out.write(buf.as_bytes()).and_then(|_| out.commit()) {
        return code;
    }
    exit::OK
}

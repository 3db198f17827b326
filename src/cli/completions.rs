//! `jifen completions`: shell completion scripts, generated from the command-line definition.

use clap::CommandFactory;
use clap_complete::Shell;

use super::exit;

/// Print a completion script for a shell (verbs, options, and the values they accept).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
jifen completions bash > ~/.local/share/bash-completion/completions/jifen\n  \
jifen completions zsh > ~/.zfunc/_jifen          # with fpath+=(~/.zfunc) before compinit\n  \
jifen completions fish > ~/.config/fish/completions/jifen.fish\n  \
jifen completions powershell >> $PROFILE\n  \
jifen completions elvish >> ~/.config/elvish/rc.elv")]
pub(crate) struct Args {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub(crate) fn run(args: Args) -> u8 {
    let mut command = super::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "jifen", &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    exit::OK
}

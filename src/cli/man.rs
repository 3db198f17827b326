//! `jifen man`: manual pages, generated from the command-line definition.

use std::path::Path;

use clap::CommandFactory;
use clap_mangen::Man;

use super::input::io_reason;
use super::{exit, fail};

/// Write manual pages: `jifen.1`, and with --output one `jifen-VERB.1` per verb too.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  jifen man | man -l -\n  \
jifen man -o /usr/local/share/man/man1 && man jifen-score\n  jifen man -o target/man\n\n\
Without --output, the page of `jifen` itself goes to standard output.\n\
Exit codes: 0 written, 4 a page could not be written.")]
pub(crate) struct Args {
    /// Folder to write `jifen.1` and one page per verb into (created if missing).
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<String>,
}

pub(crate) fn run(args: Args) -> u8 {
    let mut command = super::Cli::command().disable_help_subcommand(true);
    command.build();
    let Some(dir) = args.output else {
        let mut page = Vec::new();
        if let Err(e) = Man::new(command).render(&mut page) {
            fail(&format!("cannot render the manual page: {e}"), None);
            return exit::INTERNAL;
        }
        out!("{}", String::from_utf8_lossy(&page));
        return exit::OK;
    };
    let dir = Path::new(&dir);
    if let Err(e) = std::fs::create_dir_all(dir) {
        fail(&format!("cannot create `{}`: {}", dir.display(), io_reason(&e)), None);
        return exit::IO;
    }
    let mut commands = vec![command.clone()];
    commands.extend(command.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    for c in commands {
        let man = Man::new(c);
        let path = dir.join(man.get_filename());
        let mut page = Vec::new();
        let written = man.render(&mut page).and_then(|_| std::fs::write(&path, &page));
        if let Err(e) = written {
            fail(
                &format!("cannot write `{}`: {}", path.display(), io_reason(&e)),
                Some("check that the folder is writable"),
            );
            return exit::IO;
        }
    }
    exit::OK
}

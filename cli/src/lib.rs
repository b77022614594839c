//! `moat`, the command line of the moat NetworkPolicy analyzer.
//!
//! [`run`] is the whole program with its streams passed in, so tests call it in-process; `main` only
//! connects it to the real ones. Each subcommand is a module of `commands`; they share the input
//! options and loading (`input`), the output formats (`output`) and one exit-status enum, [`Exit`].
//!
//! Output is deterministic: pods and policies are sorted by namespace and name, and the text and JSON
//! views come from the engine's `render` module and `serde` types, never from logic of their own.

mod commands;
mod error;
mod input;
mod output;

use std::ffi::OsString;
use std::io::{Read, Write};

use clap::Parser;

use crate::error::CliError;
use crate::output::QuietPipe;

/// The exit status of every `moat` command.
///
/// | code | meaning |
/// |---|---|
/// | 0 | success; for `check` and `explain`, the flow is allowed |
/// | 1 | error: unreadable input, unknown pod, policy or example, unresolvable named port |
/// | 2 | usage error: invalid command line |
/// | 3 | `check` and `explain`: the flow is denied; `diff`: connectivity changed; `lint`: a warning or an error was found; `verify`: an intent does not hold; `migrate`: the migrated manifests do not allow the same connections |
///
/// Problems inside the manifests are not errors here: they are reported on stderr and the analysis
/// goes on with every object that is valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    Error = 1,
    Usage = 2,
    Denied = 3,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The status of a verdict: allowed is success, denied is [`Exit::Denied`].
    fn verdict(allowed: bool) -> Exit {
        if allowed { Exit::Success } else { Exit::Denied }
    }

    /// The status of a command that looks for something (changes, findings, broken intents): code 3
    /// when it found some, as for a denied flow, so that CI jobs can fail on it.
    fn found(found: bool) -> Exit {
        Exit::verdict(!found)
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

/// Kubernetes NetworkPolicy analyzer: can A reach B, why, and the whole matrix.
#[derive(Parser)]
#[command(name = "moat", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
}

/// The streams a command reads and writes.
struct Io<'a> {
    stdin: &'a mut dyn Read,
    stdout: &'a mut dyn Write,
    stderr: &'a mut dyn Write,
}

/// Runs `moat` with `args` (the program name first, as in `std::env::args_os`).
pub fn run(
    args: impl IntoIterator<Item = OsString>,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let mut stdout = QuietPipe::new(stdout);
    let mut stderr = QuietPipe::new(stderr);
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // `--help` and `--version` arrive here too, as "errors" meant for stdout.
            let (stream, exit): (&mut dyn Write, Exit) =
                if error.use_stderr() { (&mut stderr, Exit::Usage) } else { (&mut stdout, Exit::Success) };
            let _ = write!(stream, "{}", error.render());
            let _ = stream.flush();
            return exit;
        }
    };
    let mut io = Io { stdin, stdout: &mut stdout, stderr: &mut stderr };
    let result = cli.command.run(&mut io).and_then(|exit| io.stdout.flush().map(|()| exit).map_err(CliError::from));
    match result {
        Ok(exit) => exit,
        Err(error) => {
            let _ = writeln!(io.stderr, "error: {error}");
            Exit::Error
        }
    }
}

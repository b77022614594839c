//! The errors that end a command with [`Exit::Error`](crate::Exit::Error).

use std::fmt;
use std::io;

#[derive(Debug)]
pub enum CliError {
    /// A lowercase sentence for the user, values in backticks: unknown pod, unreadable file.
    Failed(String),
    /// Writing the output failed (a closed pipe is not a failure; see `output::QuietPipe`).
    Output(io::Error),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Failed(message) => f.write_str(message),
            CliError::Output(error) => write!(f, "cannot write the output: {error}"),
        }
    }
}

impl From<io::Error> for CliError {
    fn from(error: io::Error) -> Self {
        CliError::Output(error)
    }
}

//! The `moat` binary: the process's streams and exit status around [`moat::run`].

use std::io::{self, BufWriter};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Buffered: a large matrix is written in many small pieces. `run` flushes before it returns.
    let mut stdout = BufWriter::new(io::stdout().lock());
    moat::run(std::env::args_os(), &mut io::stdin().lock(), &mut stdout, &mut io::stderr().lock()).into()
}

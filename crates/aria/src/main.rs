//! `aria`: the command-line driver of the Aria compiler and runtime.
//!
//! - `aria run FILE [--emit=tokens|ast|mir|clif] [ARGS..]`: compile and run
//!   (with `--emit`, print that form to stdout instead of running);
//! - `aria check FILE`: diagnostics only;
//! - `aria --version`, `aria --help`.

mod diagnostics;
mod driver;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use driver::Emit;

#[derive(Parser)]
#[command(
    name = "aria",
    version,
    about = "Compiler and runtime for the Aria language",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a program and run it (exit status: the program's)
    Run {
        /// The source file (`*.aria`)
        file: PathBuf,
        /// Print this intermediate form to stdout instead of running
        #[arg(long, value_enum, value_name = "FORM")]
        emit: Option<Emit>,
        /// Arguments after the file, reserved for the program
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        args: Vec<String>,
    },
    /// Report the program's errors and warnings without running it
    /// (exit status 0 when there are no errors, 1 otherwise)
    Check {
        /// The source file (`*.aria`)
        file: PathBuf,
    },
}

fn main() {
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Run {
            file,
            emit,
            args: _,
        } => driver::run(&file, emit),
        Command::Check { file } => driver::check(&file),
    };
    driver::exit(status)
}

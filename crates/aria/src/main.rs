//! `aria`: the command-line driver of the Aria compiler and runtime.
//!
//! - `aria run FILE [--emit=tokens|ast|mir|clif] [ARGS..]`: compile and run
//!   (with `--emit`, print that form to stdout instead of running);
//! - `aria build FILE [-o OUT] [--emit=exe,obj] [--target-cpu=generic|native]
//!   [--link=static|dynamic]`:
//!   compile to a standalone native executable (`native.rs`);
//! - `aria check FILE`: diagnostics only;
//! - `aria --version`, `aria --help`.

mod diagnostics;
mod driver;
mod native;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use driver::Emit;
use native::{BuildEmit, BuildOptions, LinkKind, TargetCpu};

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
    /// Compile a program to a standalone native executable
    /// (linked by the system C compiler, `$CC` or `cc`)
    Build {
        /// The source file (`*.aria`)
        file: PathBuf,
        /// Where to write the output (default: the source's file stem in
        /// the current directory; with `--emit=obj` alone, `STEM.o`)
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        out: Option<PathBuf>,
        /// What to write: `exe` (the default), `obj` (the object file
        /// only), or both with `--emit=exe,obj` (the object as `OUT.o`)
        #[arg(long, value_enum, value_delimiter = ',', value_name = "KINDS")]
        emit: Vec<BuildEmit>,
        /// `generic`: code for any CPU of this architecture; `native`: use
        /// every feature of this machine's CPU (as `aria run` does)
        #[arg(long, value_enum, value_name = "CPU", default_value = "generic")]
        target_cpu: TargetCpu,
        /// `static`: a self-contained executable (the default; dynamic
        /// when this machine has no static C library); `dynamic`: linked
        /// against the system's shared C library
        #[arg(long, value_enum, value_name = "KIND", default_value = "static")]
        link: LinkKind,
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
        Command::Build {
            file,
            out,
            emit,
            target_cpu,
            link,
        } => native::build(
            &file,
            &BuildOptions {
                out,
                emit,
                target_cpu,
                link,
            },
        ),
        Command::Check { file } => driver::check(&file),
    };
    driver::exit(status)
}

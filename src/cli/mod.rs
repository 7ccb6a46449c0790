//! The command line: the arguments (clap derive; their doc comments are the `--help` text),
//! the commands run against an open store (`commands`, also served by the daemon's control
//! API), what they print (`views`), and `roundup check`, which needs no store (`check`).

mod args;
pub mod check;
pub mod commands;
pub mod views;

pub use args::{Cli, Command, StateFilter};

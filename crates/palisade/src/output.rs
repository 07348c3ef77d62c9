//! Where a command writes its report, and whether the table is coloured: the same rules for
//! every command.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

use anyhow::Context;

use crate::cli::ColorChoice;

/// Colour the table? `auto`: only on a terminal (not with `--output`), and not when
/// `NO_COLOR` is set to something.
pub fn color(choice: ColorChoice, output: Option<&Path>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            output.is_none()
                && io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// The file given with `--output` (created), else stdout; buffered.
pub fn open(output: Option<&Path>) -> anyhow::Result<BufWriter<Box<dyn Write>>> {
    Ok(match output {
        Some(path) => BufWriter::new(Box::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => BufWriter::new(Box::new(io::stdout().lock())),
    })
}

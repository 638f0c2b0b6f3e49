//! The command line's one error type.

/// An error for the person at the console: one German sentence that says
/// what is wrong and what to do. Never a panic trace.
#[derive(Debug)]
pub struct CliError(pub String);

impl<E: std::fmt::Display> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError(e.to_string())
    }
}

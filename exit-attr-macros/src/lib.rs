//! The `#[register_exit_fun]` attribute of [exit-attr](https://docs.rs/exit-attr).
//!
//! Do not depend on this crate directly: depend on `exit-attr`, which
//! re-exports the attribute as `exit_attr::register_exit_fun` and documents
//! it there. The expansion calls only `exit_attr::__private`, which is not
//! public API.

mod args;
mod errors;
mod expand;
mod signal_table;
mod valid;

use proc_macro::TokenStream;

/// Registers the annotated function to run once when the process ends.
///
/// See `exit_attr::register_exit_fun` for the forms, the semantics and the
/// inputs it rejects.
#[proc_macro_attribute]
pub fn register_exit_fun(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(args.into(), item.into()).into()
}

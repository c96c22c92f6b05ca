//! The `#[register_exit_fun]` attribute of [exit-attr](https://docs.rs/exit-attr).
//!
//! Do not depend on this crate directly: depend on `exit-attr`, which
//! re-exports the attribute as `exit_attr::register_exit_fun` and documents
//! it there. The expansion calls only `exit_attr::__private`, which is not
//! public API.

mod args;
mod errors;
mod expand;
mod valid;

use proc_macro::TokenStream;

// Documented where users see it: on its re-export, `exit_attr::register_exit_fun`
// (rustdoc would append a doc comment here to that one).
#[proc_macro_attribute]
pub fn register_exit_fun(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(args.into(), item.into()).into()
}

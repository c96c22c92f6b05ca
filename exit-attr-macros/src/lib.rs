//! The procedural macro half of [exit-attr](https://docs.rs/exit-attr).
//!
//! Do not depend on this crate directly: use `exit-attr`, which re-exports
//! everything here once the attribute exists. For now the crate is empty;
//! the runtime's function form, `exit_attr::register_exit_fun`, is the way to
//! register exit functions.

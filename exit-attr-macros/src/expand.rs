//! The expansion: the user's function, unchanged, and one start-up hook
//! that registers it before `main`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::{self, Logfun};
use crate::errors::Errors;
use crate::valid;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = args::parse(args, &mut errors);
    let Ok(parsed) = syn::parse2::<syn::Item>(item.clone()) else {
        // Not an item at all: rustc reports the syntax error itself.
        return item;
    };
    let function = valid::exit_function(&parsed, &mut errors);
    match function {
        Some(function) if errors.is_empty() => {
            let registration = registration(&function.sig.ident, &args);
            quote! {
                #item
                #registration
            }
        }
        // Recover: the item as written, so that one mistake gives one error
        // and no error about the item being missing; `allow(dead_code)`
        // because the function was never registered.
        _ => {
            let errors = errors.to_compile_errors();
            quote! {
                #[allow(dead_code)]
                #item
                #errors
            }
        }
    }
}

/// A start-up function, placed where the platform's loader calls it before
/// `main`, that calls the runtime's registration entry point.
///
/// Written with call-site spans: rustc does not apply `unsafe_code` to code
/// that a macro from another crate generated, so the `link_section` compiles
/// in crates with `#![forbid(unsafe_code)]`, with no `allow` attribute (which
/// `forbid` would reject).
fn registration(function: &syn::Ident, args: &args::Args) -> TokenStream {
    let name = function.to_string();
    let signals = match &args.signals {
        Some(signals) => quote!(#(::exit_attr::Signal::#signals),*),
        None => quote!(::exit_attr::Signal::SIGTERM),
    };
    let logfun = match &args.logfun {
        Logfun::Default => quote!(::core::option::Option::Some(::exit_attr::__private::default_logfun)),
        Logfun::Nothing => quote!(::core::option::Option::None),
        Logfun::Path(path) => quote!(::core::option::Option::Some(#path)),
    };
    // Where each platform's loader looks for start-up functions (the ELF
    // `.init_array`, Mach-O's `__mod_init_func`): the one platform table.
    let elf = quote! {
        any(
            target_os = "linux",
            target_os = "android",
            target_os = "freebsd",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "dragonfly",
            target_os = "illumos",
            target_os = "solaris",
        )
    };
    let mach_o = quote!(target_vendor = "apple");
    quote! {
        const _: () = {
            #[cfg(not(any(#elf, #mach_o)))]
            ::core::compile_error!(
                "#[register_exit_fun] cannot run code before `main` on this platform; \
                 call `exit_attr::register_exit_fun` from `main` instead"
            );

            #[used]
            #[cfg_attr(#elf, unsafe(link_section = ".init_array"))]
            #[cfg_attr(#mach_o, unsafe(link_section = "__DATA,__mod_init_func"))]
            static REGISTER: extern "C" fn() = {
                extern "C" fn register() {
                    ::exit_attr::__private::register(
                        #function,
                        ::core::concat!(::core::module_path!(), "::", #name),
                        &[#signals],
                        #logfun,
                    );
                }
                register
            };
        };
    }
}

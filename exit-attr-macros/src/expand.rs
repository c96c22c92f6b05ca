//! The expansion: the user's function, with a start-up hook that registers
//! it before `main` as the first item of its body.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

use crate::args::{self, Logfun};
use crate::errors::Errors;
use crate::valid;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = args::parse(args, &mut errors);
    // rustc hands an attribute only items it has parsed, so syn failing
    // here means syntax this version of syn does not know: say so rather
    // than emit the function without registering it.
    let parsed = syn::parse2::<syn::Item>(item.clone()).map_err(|error| errors.push(error));
    let function = parsed
        .as_ref()
        .ok()
        .and_then(|parsed| valid::exit_function(parsed, &mut errors));
    match function {
        Some(function) if errors.is_empty() => {
            let registration = registration(&function.sig.ident, &args);
            with_registration(item, registration)
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
    let default = [Ident::new("SIGTERM", Span::call_site())];
    let signals = args.signals.as_deref().unwrap_or(&default);
    let (signals, elsewhere) = per_target(signals);
    let logfun = match &args.logfun {
        Logfun::Default => quote!(::exit_attr::__private::Log::Default),
        Logfun::Nothing => quote!(::exit_attr::__private::Log::Silent),
        Logfun::Path(key, path) => checked_logfun(key, path),
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
            #[cfg(not(any(#elf, #mach_o, windows)))]
            ::core::compile_error!(
                "#[register_exit_fun] cannot run code before `main` on this platform; \
                 call `exit_attr::register_exit_fun` from `main` instead"
            );
            #elsewhere

            #[used]
            #[cfg_attr(#elf, unsafe(link_section = ".init_array"))]
            #[cfg_attr(#mach_o, unsafe(link_section = "__DATA,__mod_init_func,mod_init_funcs"))]
            // Where the C runtime (MSVC's and MinGW's) keeps its
            // initialisers, which it runs before `main`.
            #[cfg_attr(windows, unsafe(link_section = ".CRT$XCU"))]
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

/// The listed signals, each kept only on the targets where it exists (a
/// `cfg` on each element of the list), and for each, the one error that
/// any other target gives, on the user's token. The attribute runs on the
/// host and cannot know the target: the target's `cfg` decides, so that
/// `signals = [SIGUSR1]` builds on Linux and is one clear error on Windows.
fn per_target(signals: &[Ident]) -> (TokenStream, TokenStream) {
    let mut listed = TokenStream::new();
    let mut elsewhere = TokenStream::new();
    // Every name was checked against the table before expanding.
    let known = signals.iter().filter_map(|signal| {
        valid::where_it_exists(&signal.to_string()).map(|found| (signal, found))
    });
    for (signal, (predicate, message)) in known {
        listed.extend(quote!(#[cfg(#predicate)] ::exit_attr::Signal::#signal,));
        elsewhere.extend(quote_spanned! {signal.span()=>
            #[cfg(not(#predicate))]
            ::core::compile_error!(#message);
        });
    }
    (listed, elsewhere)
}

/// `Log::To(path)`, through a `let` whose type carries the span of the
/// `logfun` key: a function of the wrong type is then reported on the
/// user's path ("expected fn pointer"), with the key as the reason, instead
/// of on the whole attribute as a mismatch in the arguments of `To`.
fn checked_logfun(key: &Ident, path: &syn::Path) -> TokenStream {
    let logfun = Ident::new("logfun", Span::mixed_site());
    let expected = quote_spanned!(key.span()=> fn(&str));
    quote! {
        ::exit_attr::__private::Log::To({
            let #logfun: #expected = #path;
            #logfun
        })
    }
}

/// The function as written, with the registration as the first item of its
/// body: `fn name() { #![inner] const _: () = { .. }; { statements } }`.
///
/// An attribute cannot see whether it is on a free function or in an
/// `impl`. An item nested in the body is valid in both, and names the
/// function by a bare path that resolves only for a free function (at
/// module level or in a block): on an associated function the one error is
/// rustc's "cannot find value `name` in this scope", on the user's name.
/// The user's statements get a block of their own, so that a `use` or an
/// item of the same name inside the body cannot capture that path; its
/// braces are spanned as generated code, so that `unused_braces` stays
/// quiet.
fn with_registration(item: TokenStream, registration: TokenStream) -> TokenStream {
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();
    let Some(TokenTree::Group(body)) = tokens.pop() else {
        unreachable!("a function item ends with its body");
    };
    let statements: Vec<TokenTree> = body.stream().into_iter().collect();
    let inner_attributes = inner_attribute_tokens(&statements);
    let (inner_attributes, statements) = statements.split_at(inner_attributes);
    let mut block = Group::new(Delimiter::Brace, statements.iter().cloned().collect());
    block.set_span(Span::call_site().located_at(body.span()));
    let mut outer = Group::new(
        Delimiter::Brace,
        quote!(#(#inner_attributes)* #registration #block),
    );
    outer.set_span(body.span());
    tokens.push(outer.into());
    tokens.into_iter().collect()
}

/// How many tokens at the start of a body are inner attributes (`#![...]`),
/// which must stay first.
fn inner_attribute_tokens(statements: &[TokenTree]) -> usize {
    let mut count = 0;
    while let [
        TokenTree::Punct(pound),
        TokenTree::Punct(bang),
        TokenTree::Group(attribute),
        ..,
    ] = &statements[count..]
    {
        let inner = pound.as_char() == '#'
            && bang.as_char() == '!'
            && attribute.delimiter() == Delimiter::Bracket;
        if !inner {
            break;
        }
        count += 3;
    }
    count
}

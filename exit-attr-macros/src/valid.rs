//! What the attribute accepts: signal names, and the item it is applied to.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{FnArg, Item, ItemFn, ReturnType, Safety, Signature};

use crate::errors::Errors;
use exit_attr_signals as signal_table;

/// Why `name` cannot be listed in `signals = [...]` on any target, or
/// `None` if it can on some. Whether it exists on the target being built
/// is for the target's own `cfg` to say: see [`where_it_exists`].
pub(crate) fn signal_problem(name: &str) -> Option<String> {
    if signal_table::accepted_where(name).is_some() {
        return None;
    }
    if let Some(refusal) = signal_table::refusal(name) {
        return Some(format!("`{name}` {}", refusal.reason()));
    }
    Some(match signal_table::closest_name(name) {
        Some(closest) => format!("unknown signal `{name}`; did you mean `{closest}`?"),
        None => format!("unknown signal `{name}`; expected a POSIX name such as `SIGTERM`"),
    })
}

/// The `cfg` predicate of the targets on which the accepted signal `name`
/// exists, and the error to give on any other target, on the user's token.
/// The attribute runs on the host and cannot see the target: the
/// expansion carries both, and the target's `cfg` picks one.
pub(crate) fn where_it_exists(name: &str) -> Option<(TokenStream, String)> {
    let predicate = signal_table::accepted_where(name)?;
    let message = match predicate {
        "unix" => format!(
            "`{name}` is a Unix signal; on Windows exit-attr hooks only SIGINT (Ctrl-C), \
             SIGQUIT (Ctrl-Break), SIGHUP (console closed) and SIGTERM (logoff or shutdown)"
        ),
        _ if predicate.contains("linux") => {
            format!("`{name}` exists only on Linux and Android, not on this target")
        }
        _ => format!("`{name}` does not exist on this target"),
    };
    let predicate = predicate
        .parse()
        .expect("the signal table's predicates are valid tokens");
    Some((predicate, message))
}

/// The function the attribute can register, or errors saying why `item` is
/// not a plain `fn name()`.
pub(crate) fn exit_function<'a>(item: &'a Item, errors: &mut Errors) -> Option<&'a ItemFn> {
    let Item::Fn(function) = item else {
        errors.at(
            item_head(item),
            "`#[register_exit_fun]` applies only to a function without parameters: `fn name()`",
        );
        return None;
    };
    let before = errors.is_empty();
    if function.sig.ident == "main" {
        errors.at(
            &function.sig.ident,
            "`#[register_exit_fun]` cannot be used on `main`: it would run again at exit",
        );
    }
    check_signature(&function.sig, errors);
    (before == errors.is_empty()).then_some(function)
}

fn check_signature(sig: &Signature, errors: &mut Errors) {
    if let Some(asyncness) = &sig.asyncness {
        errors.at(
            asyncness,
            "an exit function cannot be `async`: it runs to completion at exit, outside any executor",
        );
    }
    if let Safety::Unsafe(unsafety) = &sig.safety {
        errors.at(
            unsafety,
            "an exit function cannot be `unsafe`: nothing could uphold its safety contract at exit",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.at(
            abi,
            "an exit function cannot declare an ABI: it must be a plain `fn()`",
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        // `Generics` prints only `<...>`; the where clause is printed apart.
        let (generics, where_clause) = (&sig.generics, &sig.generics.where_clause);
        errors.at(
            quote!(#generics #where_clause),
            "an exit function cannot be generic",
        );
    }
    if let Some(receiver) = sig.receiver() {
        errors.at(
            receiver,
            "an exit function cannot be a method: it takes no `self`",
        );
    }
    check_parameters(sig, errors);
    if let ReturnType::Type(arrow, ty) = &sig.output {
        if !matches!(&**ty, syn::Type::Tuple(unit) if unit.elems.is_empty()) {
            errors.at(
                quote!(#arrow #ty),
                "an exit function cannot return a value: it would have nowhere to go",
            );
        }
    }
}

/// One error for all the parameters (and a variadic): they are one mistake.
fn check_parameters(sig: &Signature, errors: &mut Errors) {
    let mut parameters = sig
        .inputs
        .iter()
        .filter(|input| matches!(input, FnArg::Typed(_)))
        .map(ToTokens::to_token_stream)
        .chain(sig.variadic.as_ref().map(ToTokens::to_token_stream));
    let Some(first) = parameters.next() else {
        return;
    };
    // An error spanning two tokens covers everything between them.
    let last = parameters.last();
    errors.at(quote!(#first #last), "an exit function takes no parameters");
}

/// The tokens that name an item, for an error that should not underline a
/// whole struct or module: the first two tokens after its attributes and
/// visibility, such as `struct Config`.
fn item_head(item: &Item) -> proc_macro2::TokenStream {
    use proc_macro2::TokenTree;
    let mut tokens = item.to_token_stream().into_iter().peekable();
    let mut head = proc_macro2::TokenStream::new();
    while let Some(token) = tokens.next() {
        match &token {
            // An outer attribute: `#` and its bracketed group.
            TokenTree::Punct(p) if p.as_char() == '#' => {
                tokens.next();
            }
            // Visibility: `pub`, maybe with `(crate)` and the like.
            TokenTree::Ident(i) if i == "pub" => {
                if matches!(tokens.peek(), Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis)
                {
                    tokens.next();
                }
            }
            _ => {
                head.extend([token]);
                head.extend(tokens.next());
                break;
            }
        }
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_hookable_names_and_explains_the_others() {
        assert_eq!(signal_problem("SIGTERM"), None);
        assert_eq!(
            signal_problem("SIGKILL").unwrap(),
            "`SIGKILL` cannot be caught, so no exit function can run for it"
        );
        assert!(
            signal_problem("SIGCHLD")
                .unwrap()
                .contains("does not end the process")
        );
        assert!(
            signal_problem("SIGSEGV")
                .unwrap()
                .contains("synchronous fault")
        );
    }

    /// The runtime's `Signal` has exactly the accepted names of the shared
    /// table (tested in the runtime); the attribute accepts exactly those.
    #[test]
    fn accepts_exactly_the_names_the_table_accepts() {
        for &(name, _) in signal_table::ACCEPTED {
            assert_eq!(signal_problem(name), None, "{name}");
            assert!(where_it_exists(name).is_some(), "{name}");
        }
        for &(name, _) in signal_table::REFUSED {
            assert!(signal_problem(name).is_some(), "{name}");
        }
        for unknown in ["SIGFOO", "TERM", "sigterm", "SIGRTMIN", ""] {
            assert!(signal_problem(unknown).is_some(), "{unknown}");
        }
    }

    #[test]
    fn a_signal_that_windows_lacks_says_what_windows_has() {
        let (predicate, message) = where_it_exists("SIGUSR1").unwrap();
        assert_eq!(predicate.to_string(), "unix");
        assert!(
            message.starts_with("`SIGUSR1` is a Unix signal; on Windows"),
            "{message}"
        );
        let (predicate, _) = where_it_exists("SIGTERM").unwrap();
        assert_eq!(predicate.to_string(), "any (unix , windows)");
        let (_, message) = where_it_exists("SIGPWR").unwrap();
        assert!(message.contains("only on Linux"), "{message}");
        assert!(where_it_exists("SIGKILL").is_none());
    }

    #[test]
    fn suggests_the_closest_name() {
        assert_eq!(
            signal_problem("SIGTREM").unwrap(),
            "unknown signal `SIGTREM`; did you mean `SIGTERM`?"
        );
        assert_eq!(
            signal_problem("SIGKIL").unwrap(),
            "unknown signal `SIGKIL`; did you mean `SIGKILL`?"
        );
    }
}

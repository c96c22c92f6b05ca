//! What the attribute accepts: signal names, and the item it is applied to.

use quote::{ToTokens, quote};
use syn::{FnArg, Item, ItemFn, ReturnType, Safety, Signature};

use crate::errors::Errors;

/// The signals `exit_attr::Signal` names whose default action ends the
/// process and that can be hooked. `SIGSTKFLT`, `SIGIO` and `SIGPWR` exist
/// only on Linux and Android; elsewhere the expansion's reference to them
/// fails to resolve, with the error on the user's token.
const HOOKABLE: &[&str] = &[
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGABRT",
    "SIGUSR1",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// Every other signal name, with why it cannot be listed.
const REJECTED: &[(&str, &str)] = &[
    (
        "SIGKILL",
        "cannot be caught, so no exit function can run for it",
    ),
    (
        "SIGSTOP",
        "cannot be caught, so no exit function can run for it",
    ),
    ("SIGCHLD", NOT_TERMINATING),
    ("SIGCONT", NOT_TERMINATING),
    ("SIGTSTP", NOT_TERMINATING),
    ("SIGTTIN", NOT_TERMINATING),
    ("SIGTTOU", NOT_TERMINATING),
    ("SIGURG", NOT_TERMINATING),
    ("SIGWINCH", NOT_TERMINATING),
    ("SIGSEGV", SYNCHRONOUS),
    ("SIGBUS", SYNCHRONOUS),
    ("SIGILL", SYNCHRONOUS),
    ("SIGFPE", SYNCHRONOUS),
    ("SIGTRAP", SYNCHRONOUS),
];

const NOT_TERMINATING: &str =
    "does not end the process by default, so there is nothing to clean up";
const SYNCHRONOUS: &str =
    "is a synchronous fault signal: the faulting thread cannot wait for exit functions";

/// Why `name` cannot be listed in `signals = [...]`, or `None` if it can.
pub(crate) fn signal_problem(name: &str) -> Option<String> {
    if HOOKABLE.contains(&name) {
        return None;
    }
    if let Some((_, why)) = REJECTED.iter().find(|(rejected, _)| *rejected == name) {
        return Some(format!("`{name}` {why}"));
    }
    Some(match closest_name(name) {
        Some(closest) => format!("unknown signal `{name}`; did you mean `{closest}`?"),
        None => format!("unknown signal `{name}`; expected a POSIX name such as `SIGTERM`"),
    })
}

/// The hookable signal name closest to `name`, if one is close enough to be
/// what was meant.
fn closest_name(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    let wanted = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    HOOKABLE
        .iter()
        .map(|&candidate| (edit_distance(&wanted, candidate), candidate))
        .filter(|&(distance, _)| distance <= 2)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, with a transposition counted as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut before = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
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

    #[test]
    fn suggests_the_closest_name() {
        assert_eq!(
            signal_problem("SIGTREM").unwrap(),
            "unknown signal `SIGTREM`; did you mean `SIGTERM`?"
        );
        assert_eq!(closest_name("TERM"), Some("SIGTERM"));
        assert_eq!(closest_name("sighup"), Some("SIGHUP"));
        assert_eq!(closest_name("NOTHING_LIKE_IT"), None);
    }
}

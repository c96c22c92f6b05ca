//! The attribute's arguments: `signals = [...]` and `logfun = ...`, each at
//! most once, in any order, with a trailing comma allowed.
//!
//! Parsed token by token rather than with a grammar, so that every mistake
//! is reported on its own token and parsing carries on after it.

use proc_macro2::{Delimiter, Ident, TokenStream, TokenTree};

use crate::errors::Errors;
use crate::valid;

/// The parsed arguments.
pub(crate) struct Args {
    /// `None` when `signals` is not given (the default, `[SIGTERM]`).
    pub(crate) signals: Option<Vec<Ident>>,
    pub(crate) logfun: Logfun,
}

pub(crate) enum Logfun {
    /// No `logfun` argument: the line goes to stderr.
    Default,
    /// `logfun = None`: no line.
    Nothing,
    /// `logfun = path::to::f`, with the `logfun` key, where a type error
    /// says what was expected.
    Path(Ident, syn::Path),
}

/// The argument keys, so that each message can show the key's own syntax.
#[derive(Clone, Copy, PartialEq)]
enum Key {
    Signals,
    Logfun,
}

impl Key {
    fn from_ident(ident: &Ident) -> Option<Key> {
        match ident.to_string().as_str() {
            "signals" => Some(Key::Signals),
            "logfun" => Some(Key::Logfun),
            _ => None,
        }
    }

    /// What the value must be, for "expected ..." messages.
    fn expected_value(self) -> &'static str {
        match self {
            Key::Signals => "a list of signal names in brackets",
            Key::Logfun => "the path of a `fn(&str)` or `None`",
        }
    }

    /// The argument written correctly.
    fn example(self) -> &'static str {
        match self {
            Key::Signals => "`signals = [SIGTERM, SIGINT]`",
            Key::Logfun => "`logfun = path::to::function`",
        }
    }
}

const USAGE: &str = "expected `signals = [SIGTERM, ...]` or `logfun = path::to::function`";

pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args {
        signals: None,
        logfun: Logfun::Default,
    };
    let mut seen: Vec<Key> = Vec::new();
    for argument in split_on_commas(tokens) {
        let Some((name, key, value)) = key_and_value(&argument, errors) else {
            continue;
        };
        if seen.contains(&key) {
            errors.at(&name, format!("`{name}` is given more than once"));
            continue;
        }
        seen.push(key);
        match key {
            Key::Signals => args.signals = parse_signals(value, errors),
            Key::Logfun => args.logfun = parse_logfun(&name, value, errors),
        }
    }
    args
}

/// Splits on the commas at the top level. A trailing comma is allowed; a
/// comma with nothing before it (`(,)`, `a,,b`) comes back on its own, as
/// the token to report the empty argument at.
fn split_on_commas(tokens: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut parts = Vec::new();
    let mut current = Vec::new();
    for token in tokens {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ',' && current.is_empty() => {
                parts.push(vec![token]);
            }
            TokenTree::Punct(p) if p.as_char() == ',' => parts.push(std::mem::take(&mut current)),
            _ => current.push(token),
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// `key = value...` with a known key, or an error on whatever is not of that
/// shape.
fn key_and_value<'a>(
    argument: &'a [TokenTree],
    errors: &mut Errors,
) -> Option<(Ident, Key, &'a [TokenTree])> {
    let (name, rest) = match argument {
        [TokenTree::Ident(name), rest @ ..] => (name, rest),
        [TokenTree::Punct(p)] if p.as_char() == ',' => {
            errors.at(p, format!("unexpected `,`; {USAGE}"));
            return None;
        }
        _ => {
            errors.at(tokens(argument), USAGE);
            return None;
        }
    };
    let Some(key) = Key::from_ident(name) else {
        unknown_key(name, rest, errors);
        return None;
    };
    match rest {
        [TokenTree::Punct(eq)] if eq.as_char() == '=' => {
            errors.at(
                eq,
                format!(
                    "expected {} after `=`: {}",
                    key.expected_value(),
                    key.example()
                ),
            );
            None
        }
        [TokenTree::Punct(eq), value @ ..] if eq.as_char() == '=' => {
            Some((name.clone(), key, value))
        }
        [] => {
            errors.at(name, format!("expected {}", key.example()));
            None
        }
        [other, ..] => {
            errors.at(
                other,
                format!("expected `=` after `{name}`: {}", key.example()),
            );
            None
        }
    }
}

/// An argument that is not `signals` or `logfun`. A bare signal name, as in
/// `#[register_exit_fun(SIGINT)]`, is most likely meant as a list.
fn unknown_key(name: &Ident, rest: &[TokenTree], errors: &mut Errors) {
    if rest.is_empty() && valid::signal_problem(&name.to_string()).is_none() {
        errors.at(
            name,
            format!("signal names go in a list: `signals = [{name}]`"),
        );
    } else {
        errors.at(
            name,
            format!("unknown argument `{name}`; expected `signals` or `logfun`"),
        );
    }
}

fn tokens(trees: &[TokenTree]) -> TokenStream {
    trees.iter().cloned().collect()
}

/// `[SIGTERM, SIGINT]`: a bracketed list of signal names.
fn parse_signals(value: &[TokenTree], errors: &mut Errors) -> Option<Vec<Ident>> {
    let list = match value {
        [TokenTree::Group(list)] if list.delimiter() == Delimiter::Bracket => list,
        _ => {
            let key = Key::Signals;
            errors.at(
                tokens(value),
                format!("expected {}: {}", key.expected_value(), key.example()),
            );
            return None;
        }
    };
    let mut signals: Vec<Ident> = Vec::new();
    for element in split_on_commas(list.stream()) {
        if let Some(name) = signal_name(&element, errors) {
            if let Some(problem) = valid::signal_problem(&name.to_string()) {
                errors.at(&name, problem);
            } else if signals.contains(&name) {
                errors.at(&name, format!("`{name}` is listed more than once"));
            } else {
                signals.push(name);
            }
        }
    }
    Some(signals)
}

/// One element of the list: a bare name, or an error naming the likely
/// mistake (a string, a `Signal::` path, a missing comma).
fn signal_name(element: &[TokenTree], errors: &mut Errors) -> Option<Ident> {
    match element {
        [TokenTree::Ident(name)] => return Some(name.clone()),
        [TokenTree::Literal(literal)] if literal.to_string().starts_with('"') => {
            let unquoted = literal.to_string().trim_matches('"').to_owned();
            errors.at(
                literal,
                format!("expected a signal name, not a string: write `{unquoted}` without quotes"),
            );
            return None;
        }
        [TokenTree::Punct(p)] if p.as_char() == ',' => {
            errors.at(
                p,
                "unexpected `,`; expected a signal name such as `SIGTERM`",
            );
            return None;
        }
        [TokenTree::Ident(_), TokenTree::Ident(next), ..] => {
            errors.at(next, "expected `,` between signal names");
            return None;
        }
        _ => {}
    }
    match syn::parse2::<syn::Path>(tokens(element)) {
        Ok(path) if path.segments.len() > 1 => {
            let name = &path.segments[path.segments.len() - 1].ident;
            errors.at(
                &path,
                format!("expected a signal name without a path: write `{name}`"),
            );
        }
        _ => errors.at(tokens(element), "expected a signal name such as `SIGTERM`"),
    }
    None
}

/// `None`, or the path of a `fn(&str)`.
fn parse_logfun(name: &Ident, value: &[TokenTree], errors: &mut Errors) -> Logfun {
    match value {
        [TokenTree::Ident(none)] if none == "None" => return Logfun::Nothing,
        [TokenTree::Literal(literal)] if literal.to_string().starts_with('"') => {
            let unquoted = literal.to_string().trim_matches('"').to_owned();
            errors.at(
                literal,
                format!("expected the path of a `fn(&str)`, not a string: write `{unquoted}` without quotes"),
            );
            return Logfun::Default;
        }
        _ => {}
    }
    match syn::parse2::<syn::Path>(tokens(value)) {
        Ok(path) => Logfun::Path(name.clone(), path),
        Err(_) => {
            let key = Key::Logfun;
            errors.at(
                tokens(value),
                format!("expected {}: {}", key.expected_value(), key.example()),
            );
            Logfun::Default
        }
    }
}

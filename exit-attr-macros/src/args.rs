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
    /// `logfun = path::to::f`.
    Path(syn::Path),
}

const USAGE: &str = "expected `signals = [SIGTERM, ...]` or `logfun = path::to::function`";

pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args { signals: None, logfun: Logfun::Default };
    let mut seen: Vec<Ident> = Vec::new();
    for argument in split_on_commas(tokens) {
        let Some((key, value)) = key_and_value(&argument, errors) else {
            continue;
        };
        if seen.iter().any(|earlier| *earlier == key) {
            errors.at(&key, format!("`{key}` is given more than once"));
            continue;
        }
        match key.to_string().as_str() {
            "signals" => args.signals = parse_signals(&key, value, errors),
            "logfun" => args.logfun = parse_logfun(&key, value, errors),
            _ => {
                errors.at(&key, format!("unknown argument `{key}`; expected `signals` or `logfun`"));
                continue;
            }
        }
        seen.push(key);
    }
    args
}

/// Splits on the commas at the top level. A trailing comma is allowed; an
/// empty argument elsewhere is an error, reported by the caller.
fn split_on_commas(tokens: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut arguments = vec![Vec::new()];
    for token in tokens {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ',' => arguments.push(vec![token]),
            _ => arguments.last_mut().expect("never empty").push(token),
        }
    }
    // Each argument but the first starts with its comma; keep it only as
    // the place to report an empty argument at.
    let mut result = Vec::new();
    for (i, mut argument) in arguments.into_iter().enumerate() {
        let comma = if i > 0 { Some(argument.remove(0)) } else { None };
        if argument.is_empty() {
            if let Some(comma) = comma {
                result.push(vec![comma]);
            }
            continue;
        }
        result.push(argument);
    }
    // A lone trailing comma is fine.
    if matches!(result.last().map(Vec::as_slice), Some([TokenTree::Punct(p)]) if p.as_char() == ',')
    {
        result.pop();
    }
    result
}

/// `key = value...`, or an error on whatever is not of that shape.
fn key_and_value<'a>(argument: &'a [TokenTree], errors: &mut Errors) -> Option<(Ident, &'a [TokenTree])> {
    match argument {
        [TokenTree::Ident(key), TokenTree::Punct(eq), value @ ..] if eq.as_char() == '=' => {
            if value.is_empty() {
                errors.at(eq, format!("expected a value after `{key} =`"));
                return None;
            }
            Some((key.clone(), value))
        }
        [TokenTree::Ident(key)] => {
            errors.at(key, format!("expected `{key} = ...`; {USAGE}"));
            None
        }
        [TokenTree::Punct(p)] if p.as_char() == ',' => {
            errors.at(p, format!("unexpected `,`; {USAGE}"));
            None
        }
        _ => {
            errors.at(tokens(argument), USAGE);
            None
        }
    }
}

fn tokens(trees: &[TokenTree]) -> TokenStream {
    trees.iter().cloned().collect()
}

/// `[SIGTERM, SIGINT]`: a bracketed list of signal names.
fn parse_signals(key: &Ident, value: &[TokenTree], errors: &mut Errors) -> Option<Vec<Ident>> {
    let [TokenTree::Group(list)] = value else {
        errors.at(
            tokens(value),
            format!("expected a list of signal names in brackets: `{key} = [SIGTERM, SIGINT]`"),
        );
        return None;
    };
    if list.delimiter() != Delimiter::Bracket {
        errors.at(list, format!("expected a list of signal names in brackets: `{key} = [SIGTERM, SIGINT]`"));
        return None;
    }
    let mut signals: Vec<Ident> = Vec::new();
    for element in split_on_commas(list.stream()) {
        match element.as_slice() {
            [TokenTree::Ident(name)] => {
                let text = name.to_string();
                if let Some(problem) = valid::signal_problem(&text) {
                    errors.at(name, problem);
                } else if signals.iter().any(|earlier| *earlier == text) {
                    errors.at(name, format!("`{name}` is listed more than once"));
                } else {
                    signals.push(name.clone());
                }
            }
            [TokenTree::Literal(literal)] if literal.to_string().starts_with('"') => {
                let unquoted = literal.to_string().trim_matches('"').to_owned();
                errors.at(
                    literal,
                    format!("expected a signal name, not a string: write `{unquoted}` without quotes"),
                );
            }
            [TokenTree::Punct(p)] if p.as_char() == ',' => {
                errors.at(p, "unexpected `,`; expected a signal name such as `SIGTERM`");
            }
            other => errors.at(tokens(other), "expected a signal name such as `SIGTERM`"),
        }
    }
    Some(signals)
}

/// `None`, or the path of a `fn(&str)`.
fn parse_logfun(key: &Ident, value: &[TokenTree], errors: &mut Errors) -> Logfun {
    if let [TokenTree::Ident(none)] = value {
        if none == "None" {
            return Logfun::Nothing;
        }
    }
    match syn::parse2::<syn::Path>(tokens(value)) {
        Ok(path) => Logfun::Path(path),
        Err(_) => {
            errors.at(
                tokens(value),
                format!("expected the path of a `fn(&str)` or `None`: `{key} = path::to::function`"),
            );
            Logfun::Default
        }
    }
}

//! What many tests share: the fixture's three standard registrations, and
//! what they print.

/// Three registrations for the function-form fixture: `first` for SIGTERM,
/// `second` for SIGTERM and SIGINT, `third` for no signal.
pub const THREE: &[&str] = &[
    "--fun",
    "first:TERM",
    "--fun",
    "second:TERM,INT",
    "--fun",
    "third:",
];

/// What [`THREE`] prints when all three run: in reverse order of registration.
pub const REVERSED: &[&str] = &["ran third", "ran second", "ran first"];

//! A plugin that registers one exit function with the attribute, for
//! SIGTERM and SIGINT. Its host names each loaded copy and says how it
//! behaves through [`plugin_init`]; the exit function prints
//! `ran plugin NAME` (`child ran plugin NAME` in a process forked after
//! `plugin_init`), and, in a copy that hangs, `plugin NAME hangs` before it
//! hangs.
//!
//! Every static here is per copy: a host that loads the library from two
//! files has two of each, as it has two copies of exit-attr.

use std::ffi::{CStr, c_char, c_int};
use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

/// This copy's name, given by the host.
static NAME: OnceLock<String> = OnceLock::new();
/// The process that called [`plugin_init`], to tell a forked child apart.
static INIT_PID: AtomicU32 = AtomicU32::new(0);
/// Whether this copy's exit function hangs after printing its line.
static HANGS: AtomicBool = AtomicBool::new(false);

/// How long a copy that hangs lets its exit functions run.
const HANG_TIMEOUT: Duration = Duration::from_millis(300);

#[exit_attr::register_exit_fun(signals = [SIGTERM, SIGINT])]
fn plugin_cleanup() {
    let name = NAME.get().map_or("(not initialised)", String::as_str);
    let prefix = if INIT_PID.load(Ordering::SeqCst) == std::process::id() {
        ""
    } else {
        "child "
    };
    // Rust's stdout is line-buffered even on a pipe, so a whole line is
    // written before this returns, and so before the process dies by the
    // signal; the flush only says so. The line is formatted first so that
    // it is one write(2), which a pipe keeps whole, whatever the standard
    // library does with the pieces of a format string; an error is ignored
    // rather than a panic.
    let say = |line: &str| {
        let mut stdout = std::io::stdout().lock();
        let line = format!("{prefix}{line}\n");
        let _ = stdout
            .write_all(line.as_bytes())
            .and_then(|()| stdout.flush());
    };
    say(&format!("ran plugin {name}"));
    if HANGS.load(Ordering::SeqCst) {
        say(&format!("plugin {name} hangs"));
        loop {
            std::thread::park();
        }
    }
}

/// Names this copy and sets how its exit function behaves: `normal`;
/// `hangs`, which makes it hang after printing its line and bounds this
/// copy's exit functions with `exit_attr::set_timeout` (300 ms); or
/// `silent`, which silences this copy's log line
/// (`exit_attr::set_default_logfun(None)`). Returns 0, or -1 for an unknown
/// behaviour or a second call.
///
/// # Safety
///
/// `name` and `behaviour` must be valid NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn plugin_init(name: *const c_char, behaviour: *const c_char) -> c_int {
    // SAFETY: the caller passes valid NUL-terminated strings.
    let (name, behaviour) = unsafe { (CStr::from_ptr(name), CStr::from_ptr(behaviour)) };
    match behaviour.to_bytes() {
        b"normal" => {}
        b"hangs" => {
            HANGS.store(true, Ordering::SeqCst);
            exit_attr::set_timeout(Some(HANG_TIMEOUT));
        }
        b"silent" => exit_attr::set_default_logfun(None),
        _ => return -1,
    }
    INIT_PID.store(std::process::id(), Ordering::SeqCst);
    match NAME.set(name.to_string_lossy().into_owned()) {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

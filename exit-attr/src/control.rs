//! Shutdown control: how long exit functions may take, and whether a second
//! signal ends the process at once.

use std::time::Duration;

use crate::log;
use crate::state;

/// Bounds how long the exit functions may take, from when they start.
///
/// If they have not all finished `timeout` after they started, the rest are
/// abandoned (a line on stderr says so) and the process ends the way it was
/// ending: by the signal on the signal path, with its exit status on the
/// normal path. The function that was running is not interrupted; it ends
/// with the process. On the signal path the bound covers the older handler
/// that exit-attr chains after the functions too: one still running at the
/// deadline is cut short by the signal. `None`, the default, waits for as
/// long as they take.
///
/// Use it to end cleanly before a supervisor's own deadline (systemd sends
/// SIGKILL after `TimeoutStopSec`), and to bound an exit function that might
/// hang: one that calls `exit` while another thread is already exiting, or
/// needs a lock that the thread that called `abort()` holds.
///
/// It applies to runs that start after the call; call it early in `main`.
///
/// ```
/// use std::time::Duration;
///
/// exit_attr::set_timeout(Some(Duration::from_secs(5)));
/// ```
pub fn set_timeout(timeout: Option<Duration>) {
    state::set_timeout(timeout);
}

/// Makes a second signal end the process at once: "press Ctrl-C again to
/// quit now".
///
/// When `force` is true, a hooked signal that exit-attr owns and that arrives
/// while exit functions are running (on either path) ends the process
/// immediately by that signal's default action, without waiting for them.
/// When false (the default), such a signal changes nothing: the first exit
/// wins.
///
/// ```
/// exit_attr::set_force_on_second_signal(true);
/// ```
pub fn set_force_on_second_signal(force: bool) {
    state::set_force_on_second_signal(force);
}

/// Sets the log function of every registration that did not name one: the
/// function form, closures, and the attribute without `logfun`.
///
/// When a hooked signal arrives, each distinct log function among the
/// registrations that list it is called once, before the exit functions,
/// with `signal SIGTERM received by process with PID 1234`. The default
/// one is looked up then, so this applies to registrations made before the
/// call too, including the attribute's, which are made before `main`. The
/// default default writes the line to stderr; `None` silences it, for a
/// command-line tool whose Ctrl-C should print nothing extra.
///
/// ```
/// // A quiet Ctrl-C.
/// exit_attr::set_default_logfun(None);
///
/// // Or the service's own log.
/// fn log_line(line: &str) {
///     eprintln!("[shutdown] {line}");
/// }
/// exit_attr::set_default_logfun(Some(log_line));
/// ```
pub fn set_default_logfun(logfun: Option<fn(&str)>) {
    log::set_default(logfun);
}

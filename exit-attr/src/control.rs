//! Shutdown control: how long exit functions may take, and whether a second
//! signal ends the process at once.

use std::time::Duration;

use crate::state;

/// Bounds how long the exit functions may take, from when they start.
///
/// If they have not all finished `timeout` after they started, the rest are
/// abandoned (a line on stderr says so) and the process ends the way it was
/// ending: by the signal on the signal path, with its exit status on the
/// normal path. The function that was running is not interrupted; it ends
/// with the process. `None`, the default, waits for as long as they take.
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

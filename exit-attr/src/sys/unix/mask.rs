//! The signal mask that exit functions run with: the program's, never
//! exit-attr's own.
//!
//! exit-attr's threads block every signal while they wait, so that signals
//! sent to the process go to the program's threads. Exit functions are the
//! program's code, though, and what they start inherits their mask: a shell
//! script whose `wait` needs SIGCHLD, a child that must still die by
//! SIGTERM. So they run with the mask of the thread that made the first
//! registration (for the attribute, the main thread before `main`), and
//! the thread that runs them blocks everything again once they are done.

use std::sync::OnceLock;

use super::signals::{SigSet, current_thread_mask, thread_mask};

static PROGRAM_MASK: OnceLock<SigSet> = OnceLock::new();

/// Records the calling thread's mask as the program's, the first time.
/// Called by every registration, before anything of exit-attr's changes a
/// mask.
pub(crate) fn record_program_mask() {
    PROGRAM_MASK.get_or_init(current_thread_mask);
}

/// Gives the calling thread the program's mask until the returned value is
/// dropped, when its own comes back.
pub(crate) fn use_program_mask() -> Restore {
    let program = PROGRAM_MASK.get().copied().unwrap_or_else(SigSet::empty);
    Restore(thread_mask(libc::SIG_SETMASK, &program))
}

/// The mask to put back; see [`use_program_mask`].
pub(crate) struct Restore(SigSet);

impl Drop for Restore {
    fn drop(&mut self) {
        thread_mask(libc::SIG_SETMASK, &self.0);
    }
}

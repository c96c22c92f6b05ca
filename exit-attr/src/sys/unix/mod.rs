//! Unix, behind small safe wrappers: the libc calls of the crate, but for
//! `pthread_atfork`, which `delivery/unix/fork.rs` makes itself, and the
//! `unsafe impl`s of the system's plain data that crosses threads
//! (`SigInfo`, `SavedAction`); the two structures of exit-attr's own that
//! need one (the fork handlers' saved mask, the wake-up mailbox's slots)
//! declare it where they are defined, next to the protocol that makes it
//! sound. Functions that the signal handler calls say that they are
//! async-signal-safe.

mod doorbell;
mod errno;
mod exit;
mod futex;
mod mask;
mod object;
mod signals;
mod sync;
mod thread;

pub(crate) use doorbell::{Doorbell, USES_DESCRIPTORS};
pub(crate) use errno::{ErrnoGuard, thread_id};
pub(crate) use exit::on_exit_handler;
pub(crate) use futex::{wait_while_equal, wake_all};
pub(crate) use mask::{record_program_mask, use_program_mask};
pub(crate) use object::pin_in_memory;
#[cfg(exit_attr_tsan)]
pub(crate) use signals::suspend;
pub(crate) use signals::{
    SavedAction, SigInfo, SigInfoHandler, SigSet, claimed_sender_pid, current_action, die_by,
    install_handler, restore_action, send_to_current_thread, sender_pid, sender_uid, thread_mask,
};
pub(crate) use sync::{Guard, Lock};
pub(crate) use thread::{name_current_thread, spawn_joinable, spawn_with_signals_blocked};

/// The calling process's id. Async-signal-safe.
pub(crate) fn getpid() -> libc::pid_t {
    // SAFETY: getpid has no preconditions and cannot fail.
    unsafe { libc::getpid() }
}

/// Writes `message` to standard error with `write(2)`. Async-signal-safe;
/// errors are ignored because there is nowhere else to report them.
pub(crate) fn write_stderr(message: &[u8]) {
    // SAFETY: the pointer and length describe a valid slice.
    unsafe { libc::write(libc::STDERR_FILENO, message.as_ptr().cast(), message.len()) };
}

/// Ends the process at once with `code`, running nothing: no `atexit`
/// handler, no destructor, no buffered output. Async-signal-safe.
pub(crate) fn exit_immediately(code: libc::c_int) -> ! {
    // SAFETY: _exit has no preconditions.
    unsafe { libc::_exit(code) }
}

/// Sleeps until a signal handler runs on this thread, and again, forever.
/// Async-signal-safe. In a handler that blocks every signal, it sleeps until
/// the process ends.
pub(crate) fn pause_forever() -> ! {
    loop {
        // SAFETY: pause has no preconditions.
        unsafe { libc::pause() };
    }
}

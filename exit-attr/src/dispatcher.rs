//! The dispatcher: the thread that turns a signal into a clean exit.
//!
//! The signal handler writes the `siginfo_t` it received into a pipe (a
//! "self-pipe") and returns. The dispatcher thread, blocked on the other end
//! with every signal masked, wakes up and, if this is the first exit of the
//! process, calls the log functions and runs the exit functions, then lets
//! the handler that was installed before ours run (in a real signal context,
//! with the original `siginfo_t`), restores the default action and raises the
//! signal on itself, so the process ends by that signal.
//!
//! The thread is a raw `pthread`, not a `std::thread`, because it must also be
//! started in a forked child from a `pthread_atfork` handler, where the
//! standard library's spawn (which allocates and may take its own locks) is
//! not safe to call. It is started only when the first signal is hooked.

use std::io;
use std::mem::{self, MaybeUninit};
use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use crate::STATE;
use crate::error::Error;
use crate::handler;
use crate::run;
use crate::signal::Signal;
use crate::state::{Begin, Path};
use crate::sync::Lock;
use crate::sys;

/// The write end of the pipe, used by the signal handler.
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);
/// The read end, owned by the dispatcher thread.
static PIPE_READ: AtomicI32 = AtomicI32::new(-1);
/// A second pipe, on which the dispatcher says that it has run the exit
/// functions of a normal exit (see [`run_normal_exit`]).
static DONE_READ: AtomicI32 = AtomicI32::new(-1);
static DONE_WRITE: AtomicI32 = AtomicI32::new(-1);
/// The process whose dispatcher reads the pipe (0 when there is none). A
/// forked child inherits the parent's pipe: comparing this with `getpid()`
/// keeps the child's signals from ever reaching the parent's dispatcher.
static OWNER_PID: AtomicI32 = AtomicI32::new(0);

/// The size of one message in the pipe: one `siginfo_t`. Messages are far
/// smaller than `PIPE_BUF`, so each write is atomic and reads never see half
/// of one.
const MESSAGE: usize = mem::size_of::<libc::siginfo_t>();

/// The signal the dispatcher is acting on, for an exit function that calls
/// `exit` and so re-enters through the `atexit` bridge on this thread.
static ACTIVE: Lock<Option<(Signal, SigInfo)>> = Lock::new(None);

/// A `siginfo_t` that may be kept in a static.
#[derive(Clone, Copy)]
struct SigInfo(libc::siginfo_t);

impl SigInfo {
    fn get(&self) -> &libc::siginfo_t {
        &self.0
    }
}

// SAFETY: a siginfo_t is plain data; its pointer fields (si_addr, si_value)
// are only ever handed back to a signal handler, never dereferenced here.
unsafe impl Send for SigInfo {}

/// Starts the dispatcher if this process has none. The caller holds the
/// registry lock, so two registrations never start two dispatchers.
pub(crate) fn ensure_running(signal: Signal) -> Result<(), Error> {
    // SAFETY: getpid cannot fail.
    if OWNER_PID.load(Ordering::Acquire) == unsafe { libc::getpid() } {
        return Ok(());
    }
    start().map_err(|(action, source)| Error::Setup {
        action,
        signal: Some(signal),
        source,
    })
}

/// Creates the pipes and the thread.
fn start() -> Result<(), (&'static str, io::Error)> {
    let [read, write] = create_pipe().map_err(|e| ("create the dispatcher's pipe", e))?;
    let [done_read, done_write] = match create_pipe() {
        Ok(fds) => fds,
        Err(e) => {
            [read, write].into_iter().for_each(close);
            return Err(("create the dispatcher's pipe", e));
        }
    };
    DONE_READ.store(done_read, Ordering::Release);
    DONE_WRITE.store(done_write, Ordering::Release);
    if let Err(e) = spawn_thread(read) {
        [read, write, done_read, done_write]
            .into_iter()
            .for_each(close);
        return Err(("start the dispatcher thread", e));
    }
    PIPE_READ.store(read, Ordering::Release);
    PIPE_WRITE.store(write, Ordering::Release);
    // SAFETY: getpid cannot fail.
    OWNER_PID.store(unsafe { libc::getpid() }, Ordering::Release);
    Ok(())
}

/// A close-on-exec pipe whose write end never blocks: a signal handler must
/// not wait, and when the pipe is full a message is already waiting anyway.
fn create_pipe() -> io::Result<[c_int; 2]> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is valid for two ints. pipe2 is not on every Unix, so
    // set the flags with fcntl; no other thread forks through us meanwhile
    // (the registry lock is held and the fork handlers take it).
    unsafe {
        if libc::pipe(fds.as_mut_ptr()) != 0 {
            return Err(io::Error::last_os_error());
        }
        for fd in fds {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
        let flags = libc::fcntl(fds[1], libc::F_GETFL);
        libc::fcntl(fds[1], libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    Ok(fds)
}

fn close(fd: c_int) {
    // SAFETY: the caller owns `fd` and does not use it again.
    unsafe { libc::close(fd) };
}

/// Starts the thread with every signal blocked from its first instruction,
/// so that signals are always delivered to the program's own threads.
fn spawn_thread(read: c_int) -> io::Result<()> {
    let previous = sys::thread_mask(libc::SIG_SETMASK, &sys::SigSet::full());
    let mut thread = MaybeUninit::<libc::pthread_t>::uninit();
    // SAFETY: default attributes; the entry point has the right signature and
    // takes the read end of the pipe, smuggled through the pointer argument.
    let status = unsafe {
        libc::pthread_create(
            thread.as_mut_ptr(),
            std::ptr::null(),
            dispatcher_main,
            read as usize as *mut c_void,
        )
    };
    sys::thread_mask(libc::SIG_SETMASK, &previous);
    if status != 0 {
        return Err(io::Error::from_raw_os_error(status));
    }
    // SAFETY: pthread_create succeeded and initialised `thread`; nobody ever
    // joins the dispatcher, so detaching it frees its resources at exit.
    unsafe { libc::pthread_detach(thread.assume_init()) };
    Ok(())
}

/// Hands the signal to the dispatcher. Async-signal-safe: an atomic load,
/// `getpid` and one `write`. Returns false when this process has no
/// dispatcher.
pub(crate) fn notify(info: &libc::siginfo_t) -> bool {
    // SAFETY: getpid is async-signal-safe and cannot fail.
    if OWNER_PID.load(Ordering::Acquire) != unsafe { libc::getpid() } {
        return false;
    }
    let fd = PIPE_WRITE.load(Ordering::Acquire);
    // SAFETY: `info` is valid for MESSAGE bytes. A full pipe (EAGAIN) is
    // fine: an earlier message is waiting and one exit is all it takes.
    unsafe { libc::write(fd, (info as *const libc::siginfo_t).cast(), MESSAGE) };
    true
}

extern "C" fn dispatcher_main(read: *mut c_void) -> *mut c_void {
    let read = read as usize as c_int;
    warm_up();
    while let Some(info) = receive(read) {
        if info.si_signo == NORMAL_EXIT {
            run::run_remaining();
            let done = DONE_WRITE.load(Ordering::Acquire);
            // SAFETY: one byte from a valid buffer; the bridge waits for it.
            unsafe { libc::write(done, [1u8].as_ptr().cast(), 1) };
        } else if let Ok(signal) = Signal::try_from(info.si_signo) {
            act_on(signal, info);
        }
    }
    // The pipe failed (nothing in this crate closes it): without a reader the
    // handler's messages would be lost, so let it fall back to ending the
    // process by the signal.
    OWNER_PID.store(0, Ordering::Release);
    std::ptr::null_mut()
}

/// Pays, while the program starts and on this thread rather than the main
/// one, the one-time costs that would otherwise fall between a signal and
/// its exit functions: naming the thread, glibc's per-thread malloc arena,
/// the standard library's thread handle, and the first pages of the stack.
fn warm_up() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_NAME names the calling thread from a C string.
    unsafe {
        libc::prctl(libc::PR_SET_NAME, c"exit-attr".as_ptr());
    }
    drop(std::hint::black_box(Box::new(0_u64)));
    drop(std::thread::current());
    std::hint::black_box([0_u8; 32 * 1024]);
    // Fault in the code of the signal path (it is cold until a signal comes):
    // formatting the log line and the registry walk.
    run::log_line_for_warm_up();
}

/// The message the `atexit` bridge sends to have the dispatcher run the exit
/// functions of a normal exit: a `siginfo_t` for no signal.
const NORMAL_EXIT: c_int = 0;

/// Runs the exit functions of a normal exit on the dispatcher thread, which
/// has working thread-locals and is already running: cheaper than starting
/// a thread while the process exits. Waits until they have run, or until
/// `deadline`, when the rest are abandoned. Returns false, having done
/// nothing, if this process has no dispatcher (or its pipe is full).
pub(crate) fn run_normal_exit(deadline: Option<Instant>) -> bool {
    // SAFETY: getpid cannot fail.
    if OWNER_PID.load(Ordering::Acquire) != unsafe { libc::getpid() } {
        return false;
    }
    let mut request = MaybeUninit::<libc::siginfo_t>::zeroed();
    // SAFETY: a zeroed siginfo_t is valid; si_signo 0 names no signal.
    unsafe { (*request.as_mut_ptr()).si_signo = NORMAL_EXIT };
    let write = PIPE_WRITE.load(Ordering::Acquire);
    // SAFETY: `request` is valid for MESSAGE bytes.
    let sent = unsafe { libc::write(write, request.as_ptr().cast(), MESSAGE) };
    if sent != MESSAGE as isize {
        return false;
    }
    let done = DONE_READ.load(Ordering::Acquire);
    loop {
        let timeout = match deadline {
            None => -1,
            Some(deadline) => {
                // Rounded up to whole milliseconds, so that it never wakes early.
                let left = deadline.saturating_duration_since(Instant::now());
                c_int::try_from(left.as_nanos().div_ceil(1_000_000)).unwrap_or(c_int::MAX)
            }
        };
        let mut poll = libc::pollfd {
            fd: done,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut poll, 1, timeout) };
        if ready > 0 {
            let mut byte = 0_u8;
            // SAFETY: one byte into a valid buffer.
            unsafe { libc::read(done, (&mut byte as *mut u8).cast(), 1) };
            return true;
        }
        if ready == 0 {
            run::abandon();
            return true;
        }
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            // Cannot wait: better to run them here than not at all.
            return false;
        }
    }
}

/// Reads one message, or `None` if the pipe is broken.
fn receive(read: c_int) -> Option<libc::siginfo_t> {
    let mut info = MaybeUninit::<libc::siginfo_t>::zeroed();
    loop {
        // SAFETY: `info` is valid for MESSAGE bytes.
        let n = unsafe { libc::read(read, info.as_mut_ptr().cast(), MESSAGE) };
        if n == MESSAGE as isize {
            // SAFETY: the whole struct was written, by a handler, from a valid
            // siginfo_t.
            return Some(unsafe { info.assume_init() });
        }
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return None;
    }
}

/// One signal has arrived: exit cleanly if it is the first exit.
fn act_on(signal: Signal, info: libc::siginfo_t) {
    match STATE.begin(Path::Signal, sys::thread_id()) {
        Begin::Started => {}
        // A normal exit is under way or done: the first exit wins, and the
        // process ends with its exit status.
        Begin::Busy | Begin::Finished | Begin::Reentered(_) => return,
    }
    *ACTIVE.lock() = Some((signal, SigInfo(info)));
    let _watchdog =
        run::deadline_from_now().map(|deadline| Watchdog::start(deadline, signal, info));
    run::log_signal(signal);
    run::run_remaining();
    finish_signal_run(signal, &info);
}

/// Ends the signal path when the timeout expires first: abandons the exit
/// functions not yet run and ends the process by the signal, whatever the
/// dispatcher thread is stuck in. Told to stand down by being dropped.
struct Watchdog {
    _done: mpsc::Sender<()>,
}

impl Watchdog {
    fn start(deadline: Instant, signal: Signal, info: libc::siginfo_t) -> Option<Watchdog> {
        let (done, finished) = mpsc::channel::<()>();
        let info = SigInfo(info);
        // Spawned from the dispatcher, it inherits its mask: every signal
        // blocked, as `finish_signal_run` needs.
        let spawned = std::thread::Builder::new()
            .name("exit-attr-watchdog".into())
            .spawn(move || {
                let left = deadline.saturating_duration_since(Instant::now());
                if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(left) {
                    run::abandon();
                    finish_signal_run(signal, info.get());
                }
            });
        spawned.ok().map(|_| Watchdog { _done: done })
    }
}

/// The end of the signal path, after every exit function has run (or the
/// timeout expired): chain the older handler, then die by the signal. Only
/// the first caller does it; a second (the watchdog racing the dispatcher)
/// waits for the process to end.
fn finish_signal_run(signal: Signal, info: &libc::siginfo_t) -> ! {
    static FINISHING: AtomicBool = AtomicBool::new(false);
    if FINISHING.swap(true, Ordering::AcqRel) {
        loop {
            std::thread::park();
        }
    }
    if handler::has_older_handler(signal) {
        // If it ends the process itself (say `_exit(7)`), that status stands.
        handler::chain_older_handler(signal, info);
    }
    die_by(signal)
}

/// Called by the `atexit` bridge on the dispatcher thread when an exit
/// function called `exit` during a signal run, once the remaining functions
/// have run: the process still ends by the signal.
pub(crate) fn finish_reentered_signal_run() {
    let active = *ACTIVE.lock();
    if let Some((signal, SigInfo(info))) = active {
        finish_signal_run(signal, &info);
    }
}

/// Ends the process by `signal`'s default action, from the dispatcher
/// thread, which has every signal blocked.
fn die_by(signal: Signal) -> ! {
    let raw = signal.as_raw();
    sys::set_default_action(raw);
    // SAFETY: raise makes the signal pending on this thread; unblocking it
    // delivers it, and its default action ends the process.
    unsafe { libc::raise(raw) };
    sys::thread_mask(libc::SIG_UNBLOCK, &sys::SigSet::only(raw));
    // Not reached: the default action of every `Signal` ends the process.
    // Should a platform ever disagree, exit as a shell reports a death by
    // this signal rather than return into a program that is shutting down.
    // SAFETY: _exit has no preconditions.
    unsafe { libc::_exit(128 + raw) }
}

/// In a forked child: the parent's dispatcher thread does not exist here and
/// its pipe belongs to the parent. Give the child a pipe and dispatcher of
/// its own, so its signals run its exit functions and never the parent's.
///
/// Runs in the `pthread_atfork` child handler, with every signal blocked and
/// the registry lock held; it calls `pipe`, `fcntl`, `close` and
/// `pthread_create` (which glibc supports after `fork`), and nothing else.
pub(crate) fn restart_after_fork() {
    // SAFETY: getpid cannot fail.
    let pid = unsafe { libc::getpid() };
    let owner = OWNER_PID.load(Ordering::Acquire);
    if owner == 0 || owner == pid {
        return;
    }
    OWNER_PID.store(0, Ordering::Release);
    for fd in [&PIPE_READ, &PIPE_WRITE, &DONE_READ, &DONE_WRITE] {
        close(fd.swap(-1, Ordering::AcqRel));
    }
    if start().is_err() {
        sys::write_stderr(
            b"exit-attr: could not start a dispatcher thread in the forked child; its hooked signals will end it without running exit functions\n",
        );
    }
}

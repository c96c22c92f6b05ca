//! What creating exit-attr's dispatcher thread costs, by the way it is
//! created: `thread_create <variant>` creates one thread that blocks on a
//! pipe forever (as the dispatcher does), prints how long the creating call
//! took, how long until the new thread ran, and the process's resident set
//! size and its peak after that, and returns from `main`.
//!
//! Variants:
//! - `none`: no thread (the baseline of the process-wide numbers);
//! - `pthread`: as exit-attr did it before it named its dispatcher from
//!   inside: every signal blocked around a raw `pthread_create` with default
//!   attributes, named with `pthread_setname_np` from the creating thread,
//!   then detached;
//! - `pthread-unnamed`: the same without `pthread_setname_np`;
//! - `pthread-inside`: the same, the new thread naming itself
//!   (`prctl(PR_SET_NAME)`) as its first action;
//! - `pthread-warm`: as exit-attr does it now: `pthread-inside`, then the new
//!   thread's warm-up (one allocation, so that glibc creates its malloc arena;
//!   its `std::thread::current()` handle; 32 KiB of stack touched; a log line
//!   formatted with `getpid`), and only then does it count as running, so the
//!   process waits for the warm-up (a trivial program's normal exit does too:
//!   the dispatcher reads the bridge's request only once warmed up);
//! - `pthread-256k`, `pthread-64k`: the same as `pthread` with that stack size;
//! - `std`, `std-64k`: `std::thread::Builder` (named, default 2 MiB stack, or
//!   64 KiB), with every signal blocked around the spawn.

use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Instant;

static READ_END: AtomicI32 = AtomicI32::new(-1);
static RUNNING: AtomicBool = AtomicBool::new(false);

fn block_on_pipe() {
    RUNNING.store(true, Ordering::Release);
    let mut byte = 0u8;
    // SAFETY: `byte` is valid for one byte. Nobody writes: this blocks until
    // the process ends, as the dispatcher does while no signal comes.
    unsafe { libc::read(READ_END.load(Ordering::Acquire), (&raw mut byte).cast(), 1) };
}

extern "C" fn thread_main(_: *mut c_void) -> *mut c_void {
    block_on_pipe();
    std::ptr::null_mut()
}

/// Names the calling thread, as exit-attr's dispatcher does first thing.
fn name_self() {
    // SAFETY: PR_SET_NAME names the calling thread from a C string.
    unsafe { libc::prctl(libc::PR_SET_NAME, c"exit-attr".as_ptr()) };
}

extern "C" fn thread_main_inside(_: *mut c_void) -> *mut c_void {
    name_self();
    block_on_pipe();
    std::ptr::null_mut()
}

/// exit-attr's dispatcher warm-up (`dispatcher::warm_up`), rebuilt from its
/// public behaviour: the one-time costs a first signal would otherwise pay.
extern "C" fn thread_main_warm(_: *mut c_void) -> *mut c_void {
    name_self();
    drop(std::hint::black_box(Box::new(0_u64)));
    drop(std::thread::current());
    std::hint::black_box([0_u8; 32 * 1024]);
    let mut line = [0_u8; 96];
    let mut cursor = &mut line[..];
    let _ = std::io::Write::write_fmt(
        &mut cursor,
        format_args!(
            "signal SIGTERM received by process with PID {}",
            std::process::id()
        ),
    );
    std::hint::black_box(&line);
    block_on_pipe();
    std::ptr::null_mut()
}

/// Blocks every signal in the calling thread; returns the previous mask.
fn block_all() -> libc::sigset_t {
    // SAFETY: zeroed sigsets are valid values; the calls fill them.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut previous: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut previous);
        previous
    }
}

fn restore(mask: &libc::sigset_t) {
    // SAFETY: `mask` is a mask pthread_sigmask returned.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, mask, std::ptr::null_mut()) };
}

/// Who names the new thread, and what it does before it counts as running.
#[derive(Clone, Copy, PartialEq)]
enum Start {
    /// Named by the creating thread (`pthread_setname_np`).
    NamedByCreator,
    Unnamed,
    /// Names itself.
    NamedInside,
    /// Names itself and warms up as exit-attr's dispatcher does.
    Warm,
}

fn raw_pthread(stack: Option<usize>, start: Start) {
    let entry: extern "C" fn(*mut c_void) -> *mut c_void = match start {
        Start::NamedByCreator | Start::Unnamed => thread_main,
        Start::NamedInside => thread_main_inside,
        Start::Warm => thread_main_warm,
    };
    let previous = block_all();
    let mut thread = std::mem::MaybeUninit::<libc::pthread_t>::uninit();
    // SAFETY: the attribute object is initialised before use and destroyed
    // after; the entry point has the right signature.
    let status = unsafe {
        let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
        let attr_ptr = match stack {
            Some(size) => {
                libc::pthread_attr_init(attr.as_mut_ptr());
                libc::pthread_attr_setstacksize(attr.as_mut_ptr(), size);
                attr.as_ptr()
            }
            None => std::ptr::null(),
        };
        let status =
            libc::pthread_create(thread.as_mut_ptr(), attr_ptr, entry, std::ptr::null_mut());
        if stack.is_some() {
            libc::pthread_attr_destroy(attr.as_mut_ptr());
        }
        status
    };
    restore(&previous);
    assert_eq!(status, 0, "pthread_create");
    // SAFETY: pthread_create succeeded and initialised `thread`.
    unsafe {
        let thread = thread.assume_init();
        if start == Start::NamedByCreator {
            libc::pthread_setname_np(thread, c"exit-attr".as_ptr());
        }
        libc::pthread_detach(thread);
    }
}

fn std_thread(stack: Option<usize>) {
    let previous = block_all();
    let mut builder = std::thread::Builder::new().name("exit-attr".into());
    if let Some(size) = stack {
        builder = builder.stack_size(size);
    }
    let spawned = builder.spawn(block_on_pipe);
    restore(&previous);
    drop(spawned.expect("spawn"));
}

fn main() {
    let variant = std::env::args().nth(1).unwrap_or_default();
    let mut fds: [c_int; 2] = [-1; 2];
    // SAFETY: `fds` is valid for two ints.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
    READ_END.store(fds[0], Ordering::Release);

    let start = Instant::now();
    match variant.as_str() {
        "none" => RUNNING.store(true, Ordering::Release),
        "pthread" => raw_pthread(None, Start::NamedByCreator),
        "pthread-unnamed" => raw_pthread(None, Start::Unnamed),
        "pthread-inside" => raw_pthread(None, Start::NamedInside),
        "pthread-warm" => raw_pthread(None, Start::Warm),
        "pthread-256k" => raw_pthread(Some(256 << 10), Start::NamedByCreator),
        "pthread-64k" => raw_pthread(Some(64 << 10), Start::NamedByCreator),
        "std" => std_thread(None),
        "std-64k" => std_thread(Some(64 << 10)),
        other => panic!("unknown variant {other:?}"),
    }
    let created = start.elapsed();
    while !RUNNING.load(Ordering::Acquire) {
        std::thread::yield_now();
    }
    let running = start.elapsed();
    println!(
        "create_ns={} running_ns={} {}",
        created.as_nanos(),
        running.as_nanos(),
        exit_attr_bench::memory_and_threads()
    );
}

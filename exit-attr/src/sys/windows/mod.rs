//! Windows, behind small safe wrappers: every Windows API call of the
//! crate is made in this module (through `windows-sys`), and every
//! `unsafe impl` of plain data that crosses threads is declared here.

mod sync;

pub(crate) use sync::{Guard, Lock};

use std::ffi::c_void;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

use windows_sys::Win32::Foundation::{FALSE, TRUE};
use windows_sys::Win32::System::Console::SetConsoleCtrlHandler;
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
use windows_sys::Win32::System::Threading::{
    FLS_OUT_OF_INDEXES, FlsAlloc, FlsSetValue, GetCurrentProcess, GetCurrentThreadId,
    TerminateProcess,
};

/// No exit-attr thread waits on a descriptor on Windows.
pub(crate) const USES_DESCRIPTORS: bool = false;

/// The status Windows' own console handler ends a process with when it
/// is ended by Ctrl-C (and by the other console events).
pub(crate) const STATUS_CONTROL_C_EXIT: u32 = 0xC000_013A;

/// An identity of the calling thread: its id, which is never 0.
pub(crate) fn thread_id() -> usize {
    // SAFETY: GetCurrentThreadId has no preconditions and cannot fail.
    unsafe { GetCurrentThreadId() as usize }
}

/// Windows has no signal masks: exit functions run as they are.
pub(crate) fn use_program_mask() -> NoMask {
    NoMask
}

/// What [`use_program_mask`] returns: nothing to put back.
pub(crate) struct NoMask;

/// A console control handler: called with the event, on a new thread;
/// returns `TRUE` when it handled the event, which ends the chain.
pub(crate) type ConsoleHandler = unsafe extern "system" fn(u32) -> windows_sys::core::BOOL;

/// Adds `handler` to the process's console control handlers, where it is
/// the newest: called before those added earlier.
pub(crate) fn add_console_handler(handler: ConsoleHandler) -> io::Result<()> {
    // SAFETY: the handler is a function of the right signature that lives
    // as long as the program.
    if unsafe { SetConsoleCtrlHandler(Some(handler), TRUE) } == FALSE {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Removes `handler`, added by [`add_console_handler`].
pub(crate) fn remove_console_handler(handler: ConsoleHandler) {
    // SAFETY: as above; removing a handler that is not there fails
    // harmlessly.
    unsafe { SetConsoleCtrlHandler(Some(handler), FALSE) };
}

/// Ends the process at once with `status`, running nothing: no `atexit`
/// handler, no process-detach callback, no other console handler.
pub(crate) fn terminate_process(status: u32) -> ! {
    // SAFETY: the pseudo-handle of the current process is always valid;
    // TerminateProcess of oneself does not return.
    unsafe { TerminateProcess(GetCurrentProcess(), status) };
    // It returns only on failure, which would leave the process running
    // when it must end: end it the way Rust does.
    std::process::abort()
}

/// A fiber-local storage index whose callback the system calls when a
/// thread that set a value for it ends, and when the process ends, on the
/// thread that ends it.
pub(crate) fn fls_alloc(callback: unsafe extern "system" fn(*const c_void)) -> io::Result<u32> {
    // SAFETY: the callback is a function of the right signature that lives
    // as long as the program.
    let index = unsafe { FlsAlloc(Some(callback)) };
    if index == FLS_OUT_OF_INDEXES {
        return Err(io::Error::last_os_error());
    }
    Ok(index)
}

/// Sets the calling thread's value of the fiber-local `index` to a
/// non-null marker, so that its callback runs when the thread or the
/// process ends. Makes no use of the standard library: it runs in a TLS
/// callback, on a thread that is starting.
pub(crate) fn fls_mark_thread(index: u32) {
    // SAFETY: `index` came from FlsAlloc; the value is a marker, never
    // dereferenced.
    unsafe { FlsSetValue(index, std::ptr::dangling::<c_void>()) };
}

/// Whether the process is ending (`ExitProcess` has begun), as ntdll's
/// `RtlDllShutdownInProgress` says: the one way for a callback that also
/// runs when a single thread ends to tell the two apart. The function is
/// looked up once, by [`prepare_process_exit_check`].
pub(crate) fn process_is_exiting() -> bool {
    let address = SHUTDOWN_IN_PROGRESS.load(Ordering::Acquire);
    if address == 0 {
        return false;
    }
    // SAFETY: the address is ntdll's RtlDllShutdownInProgress, which takes
    // nothing and returns a BOOLEAN (a byte).
    let shutdown_in_progress: unsafe extern "system" fn() -> u8 =
        unsafe { std::mem::transmute(address) };
    // SAFETY: as above; it only reads the loader's state.
    unsafe { shutdown_in_progress() != 0 }
}

static SHUTDOWN_IN_PROGRESS: AtomicUsize = AtomicUsize::new(0);

/// Looks up `RtlDllShutdownInProgress` in ntdll (always loaded), once.
pub(crate) fn prepare_process_exit_check() {
    if SHUTDOWN_IN_PROGRESS.load(Ordering::Acquire) != 0 {
        return;
    }
    let ntdll: Vec<u16> = "ntdll.dll\0".encode_utf16().collect();
    // SAFETY: a valid NUL-terminated wide string; ntdll is loaded in every
    // process, and its handle needs no release.
    let module = unsafe { GetModuleHandleW(ntdll.as_ptr()) };
    if module.is_null() {
        return;
    }
    let name = c"RtlDllShutdownInProgress".as_ptr().cast();
    // SAFETY: a valid module handle and a NUL-terminated name.
    if let Some(function) = unsafe { GetProcAddress(module, name) } {
        SHUTDOWN_IN_PROGRESS.store(function as usize, Ordering::Release);
    }
}

/// Registers `handler` with the C runtime's `atexit`: it runs when the
/// program returns from `main` (or panics out of it), before
/// `ExitProcess`, while every thread still runs.
pub(crate) fn at_exit(handler: extern "C" fn()) -> io::Result<()> {
    // SAFETY: `handler` is an `extern "C" fn()`, as atexit expects.
    match unsafe { libc::atexit(handler) } {
        0 => Ok(()),
        _ => Err(io::Error::other("atexit refused the handler")),
    }
}

//! Keeping exit-attr's own code in memory for as long as the process lives.
//!
//! A copy of exit-attr in a shared library (a `cdylib` plugin, a Python
//! extension module) leaves pointers to its code with the system: its
//! signal handler, its `atexit` bridge, its fork handlers. A host that
//! unloads the library (`dlclose`) would leave them pointing into unmapped
//! memory, and the next signal, fork or exit would crash the host. So the
//! copy pins the object that holds it: it opens itself again with
//! `RTLD_NOLOAD` (never load, only find) and `RTLD_NODELETE` (never unload),
//! and never closes that handle.

use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicBool, Ordering};

/// `RTLD_NODELETE` where the `libc` crate names it; elsewhere (NetBSD) the
/// handle that is never closed is what pins the object.
#[cfg(not(target_os = "netbsd"))]
const NODELETE: c_int = libc::RTLD_NODELETE;
#[cfg(target_os = "netbsd")]
const NODELETE: c_int = 0;

/// Pins the shared object that holds this code, once per process; does
/// nothing in the main program (which is never unloaded) or a static one
/// (which has nothing to unload). Best effort: if the system will not say
/// which object this is, there is nothing better to do.
pub(crate) fn pin_in_memory() {
    static PINNED: AtomicBool = AtomicBool::new(false);
    if PINNED.swap(true, Ordering::AcqRel) {
        return;
    }
    let Some(ours) = object_of(pin_in_memory as *const c_void) else {
        return;
    };
    if Some(ours.dli_fbase) == main_program_base() || ours.dli_fname.is_null() {
        return;
    }
    // SAFETY: `dli_fname` is the path the loader knows this object by, a
    // valid C string for as long as the object is loaded, and with
    // RTLD_NOLOAD `dlopen` only finds an object already loaded (this one),
    // counts one more reference to it, and runs nothing. The handle is
    // never closed, by design.
    unsafe {
        libc::dlopen(
            ours.dli_fname,
            libc::RTLD_NOW | libc::RTLD_NOLOAD | NODELETE,
        )
    };
}

/// What the dynamic loader says of the object that holds `address`.
fn object_of(address: *const c_void) -> Option<libc::Dl_info> {
    let mut info = std::mem::MaybeUninit::<libc::Dl_info>::zeroed();
    // SAFETY: dladdr only reads the loader's tables and fills `info`.
    let found = unsafe { libc::dladdr(address, info.as_mut_ptr()) };
    // SAFETY: dladdr filled `info` when it returned non-zero; zeroed is a
    // valid Dl_info (null pointers) otherwise, but it is not returned.
    (found != 0).then(|| unsafe { info.assume_init() })
}

/// The load address of the main program, where the system tells it
/// without a system call: the program headers the kernel passed in the
/// auxiliary vector lie in the main program's image. Elsewhere `None`: the
/// main program is then pinned like a library, which costs one `dlopen`
/// that finds it (or nothing) and changes nothing.
fn main_program_base() -> Option<*mut c_void> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: getauxval reads the auxiliary vector; AT_PHDR is always
        // there for a dynamically linked program (0 if not).
        let headers = unsafe { libc::getauxval(libc::AT_PHDR) };
        if headers != 0 {
            return object_of(headers as *const c_void).map(|main| main.dli_fbase);
        }
    }
    None
}

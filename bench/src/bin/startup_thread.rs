//! Start-up floor: the trivial program plus one raw pthread that blocks on a
//! pipe read, created with every signal blocked (so that no signal is ever
//! delivered to it). Any design with a dispatcher thread pays at least this;
//! no signal is hooked and nothing runs at exit. `main` does not wait for the
//! thread to run, as no peer does.

use std::os::raw::{c_int, c_void};

extern "C" fn block_on_pipe(read_end: *mut c_void) -> *mut c_void {
    let mut byte = 0u8;
    // SAFETY: `byte` is valid for one byte. The descriptor is the pipe's
    // read end, passed as the argument; nobody writes, so this blocks until
    // the process ends.
    unsafe { libc::read(read_end as usize as c_int, (&raw mut byte).cast(), 1) };
    std::ptr::null_mut()
}

fn start_thread() {
    let mut fds: [c_int; 2] = [-1; 2];
    // SAFETY: `fds` is valid for two ints.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
    // SAFETY: zeroed sigsets are valid values; sigfillset and
    // pthread_sigmask fill them. The new thread inherits the blocked mask;
    // the previous mask is restored in this thread right after.
    let status = unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut previous: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut previous);
        let mut thread = std::mem::MaybeUninit::<libc::pthread_t>::uninit();
        let status = libc::pthread_create(
            thread.as_mut_ptr(),
            std::ptr::null(),
            block_on_pipe,
            fds[0] as usize as *mut c_void,
        );
        libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut());
        if status == 0 {
            libc::pthread_detach(thread.assume_init());
        }
        status
    };
    assert_eq!(status, 0, "pthread_create");
}

fn main() {
    start_thread();
    exit_attr_bench::trivial_main();
}

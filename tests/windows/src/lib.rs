//! What the Windows fixtures and tests share: sending and ignoring console
//! control events, and telling Wine from Windows. Empty elsewhere.

#![cfg(windows)]

use windows_sys::Win32::Foundation::TRUE;
use windows_sys::Win32::System::Console::{
    CTRL_C_EVENT, GenerateConsoleCtrlEvent, SetConsoleCtrlHandler,
};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
use windows_sys::core::BOOL;

/// Sends Ctrl-C to every process attached to this console, this one
/// included (process group 0: Windows cannot aim Ctrl-C at a group).
/// Returns whether Windows accepted it.
pub fn send_ctrl_c() -> bool {
    // SAFETY: no pointer is involved; the event goes to this console.
    unsafe { GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0) != 0 }
}

/// Makes this process survive the console events it sends to others (or
/// itself): a handler that says it handled them. A real handler rather
/// than `SetConsoleCtrlHandler(NULL, TRUE)`, whose "ignore Ctrl-C" the
/// children would inherit.
pub fn survive_console_events() {
    unsafe extern "system" fn handled(_: u32) -> BOOL {
        TRUE
    }
    // SAFETY: a handler of the right signature that lives as long as the
    // program.
    unsafe { SetConsoleCtrlHandler(Some(handled), TRUE) };
}

/// Whether this is Wine rather than Windows: Wine's ntdll exports
/// `wine_get_version`. Some outcomes differ, and the tests say which.
pub fn under_wine() -> bool {
    let ntdll: Vec<u16> = "ntdll.dll\0".encode_utf16().collect();
    // SAFETY: a NUL-terminated wide string; ntdll is in every process.
    let module = unsafe { GetModuleHandleW(ntdll.as_ptr()) };
    // SAFETY: a module handle (or null, which fails) and a C string.
    !module.is_null()
        && unsafe { GetProcAddress(module, c"wine_get_version".as_ptr().cast()) }.is_some()
}

/// The status Windows' default console handler ends a process with.
pub const STATUS_CONTROL_C_EXIT: u32 = 0xC000_013A;

/// The status a process ends with when Ctrl-C reaches Windows' default
/// handler: `STATUS_CONTROL_C_EXIT` on Windows; Wine 8 ends it with 0.
pub fn default_ctrl_c_status() -> u32 {
    if under_wine() {
        0
    } else {
        STATUS_CONTROL_C_EXIT
    }
}

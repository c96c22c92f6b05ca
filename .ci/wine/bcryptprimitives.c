/*
 * Programs built by current Rust import ProcessPrng from
 * bcryptprimitives.dll (Windows 10 and later), which Wine 8 lacks. This
 * stand-in, put where Wine looks for system DLLs, forwards it to
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has. For CI only:
 * it is no part of exit-attr.
 */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    return RtlGenRandom(data, (ULONG)len);
}

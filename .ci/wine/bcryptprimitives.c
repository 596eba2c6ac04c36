/*
 * Minimal bcryptprimitives.dll for running Go test binaries under Wine 8.
 *
 * Go's Windows runtime calls bcryptprimitives!ProcessPrng for random bytes
 * (Windows 10 and later). Wine 8 does not ship that export, so this DLL
 * provides it on top of advapi32!SystemFunction036 (RtlGenRandom), which
 * Wine has. ProcessPrng always returns TRUE, as documented.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        SystemFunction036(data, chunk);
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
    (void)inst;
    (void)reason;
    (void)reserved;
    return TRUE;
}

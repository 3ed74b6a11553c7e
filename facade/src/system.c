/* SPDX-License-Identifier: MIT */
/*
 * system.c - GetSystemInfo and the clocks (QueryPerformanceCounter,
 * GetTickCount).
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "w32.h"

/* Windows' allocation granularity on every architecture (A07); the façade
 * enforces it for view offsets and addresses. */
#define ALLOCATION_GRANULARITY 65536u

void WINAPI GetSystemInfo(LPSYSTEM_INFO si)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    memset(si, 0, sizeof *si);
#if defined(__x86_64__)
    si->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_AMD64;
    si->dwProcessorType = PROCESSOR_AMD_X8664;
    si->wProcessorLevel = 6;
#elif defined(__i386__)
    si->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_INTEL;
    si->dwProcessorType = PROCESSOR_INTEL_PENTIUM;
    si->wProcessorLevel = 6;
#elif defined(__aarch64__)
    si->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_ARM64;
#else
    si->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_UNKNOWN;
#endif
    /* 4096 on x86-64 (A07); the system's own page size elsewhere, since
     * protection really works in its units. */
    si->dwPageSize = (DWORD)mmf_page_size();
    si->dwAllocationGranularity = ALLOCATION_GRANULARITY;
    si->lpMinimumApplicationAddress = (LPVOID)(uintptr_t)ALLOCATION_GRANULARITY;
    si->lpMaximumApplicationAddress = (LPVOID)(uintptr_t)0x7FFFFFFEFFFFull;
    if (n < 1)
        n = 1;
    si->dwNumberOfProcessors = (DWORD)n;
    si->dwActiveProcessorMask =
        n >= (long)(8 * sizeof(DWORD_PTR)) ? ~(DWORD_PTR)0 : ((DWORD_PTR)1 << n) - 1;
}

void WINAPI GetNativeSystemInfo(LPSYSTEM_INFO si)
{
    GetSystemInfo(si);
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

BOOL WINAPI QueryPerformanceCounter(LARGE_INTEGER *lpPerformanceCount)
{
    lpPerformanceCount->QuadPart = (LONGLONG)(monotonic_ns() / 100); /* 10 MHz */
    return TRUE;
}

BOOL WINAPI QueryPerformanceFrequency(LARGE_INTEGER *lpFrequency)
{
    lpFrequency->QuadPart = 10000000;
    return TRUE;
}

ULONGLONG WINAPI GetTickCount64(void)
{
    return monotonic_ns() / 1000000u;
}

DWORD WINAPI GetTickCount(void)
{
    return (DWORD)GetTickCount64();
}

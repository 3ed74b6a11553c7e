/* SPDX-License-Identifier: MIT */
/*
 * system.c - GetSystemInfo and the clocks (QueryPerformanceCounter,
 * GetTickCount).
 */
#include <stdio.h>
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

/* ------------------------------------------------------------------------ */
/* NUMA                                                                      */
/* ------------------------------------------------------------------------ */

BOOL WINAPI GetNumaHighestNodeNumber(PULONG HighestNodeNumber)
{
    if (HighestNodeNumber == NULL) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    *HighestNodeNumber = (ULONG)mmf_numa_highest_node();
    return TRUE;
}

/* The processors < 64 of a Linux CPU list ("0-3,8"). */
static KAFFINITY cpulist_mask(const char *list)
{
    KAFFINITY mask = 0;
    unsigned long a, b;
    int n;

    while (sscanf(list, "%lu%n", &a, &n) == 1) {
        list += n;
        b = a;
        if (*list == '-' && sscanf(list + 1, "%lu%n", &b, &n) == 1)
            list += 1 + n;
        for (unsigned long c = a; c <= b && c < 8 * sizeof mask; c++)
            mask |= (KAFFINITY)1 << c;
        if (*list != ',')
            break;
        list++;
    }
    return mask;
}

BOOL WINAPI GetNumaNodeProcessorMaskEx(USHORT Node, PGROUP_AFFINITY ProcessorMask)
{
    char path[80], list[4096];
    FILE *f;

    if (ProcessorMask == NULL || Node > (unsigned)mmf_numa_highest_node()) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    memset(ProcessorMask, 0, sizeof *ProcessorMask);
    snprintf(path, sizeof path, "/sys/devices/system/node/node%u/cpulist", (unsigned)Node);
    if ((f = fopen(path, "re")) != NULL) {
        if (fgets(list, sizeof list, f) != NULL)
            ProcessorMask->Mask = cpulist_mask(list);
        fclose(f);
    } else {
        /* No NUMA in this kernel: node 0 has every processor. */
        SYSTEM_INFO si;
        GetSystemInfo(&si);
        ProcessorMask->Mask = (KAFFINITY)si.dwActiveProcessorMask;
    }
    return TRUE;
}

/* SPDX-License-Identifier: MIT */
/*
 * critsec.c - CRITICAL_SECTION: a recursive lock for the threads of one
 * process, on a private futex.
 *
 * LockCount is the futex word, in Drepper's three states ("Futexes Are
 * Tricky"): 0 free, 1 held, 2 held and a thread may sleep on it, so that
 * Leave makes a system call only when someone may be asleep. The owner's
 * thread id and its Enter count are touched only by the owner, apart from
 * the owner test of another thread, which can never see its own id there.
 */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "w32.h"

static DWORD self_tid(void)
{
    return GetCurrentThreadId();
}

static void futex_wait(LONG *word, LONG val)
{
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake_one(LONG *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static HANDLE owner_of(DWORD tid)
{
    return (HANDLE)(uintptr_t)tid;
}

static int owned_by_caller(LPCRITICAL_SECTION cs)
{
    HANDLE o = __atomic_load_n(&cs->OwningThread, __ATOMIC_RELAXED);
    return o == owner_of(self_tid());
}

static int try_take(LPCRITICAL_SECTION cs)
{
    LONG expected = 0;
    return __atomic_compare_exchange_n(&cs->LockCount, &expected, 1, 0,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void became_owner(LPCRITICAL_SECTION cs)
{
    __atomic_store_n(&cs->OwningThread, owner_of(self_tid()), __ATOMIC_RELAXED);
    cs->RecursionCount = 1;
}

void WINAPI InitializeCriticalSection(LPCRITICAL_SECTION lpCriticalSection)
{
    memset(lpCriticalSection, 0, sizeof *lpCriticalSection);
}

BOOL WINAPI InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION lpCriticalSection,
                                                  DWORD dwSpinCount)
{
    InitializeCriticalSection(lpCriticalSection);
    lpCriticalSection->SpinCount = dwSpinCount;
    return TRUE;
}

BOOL WINAPI InitializeCriticalSectionEx(LPCRITICAL_SECTION lpCriticalSection,
                                        DWORD dwSpinCount, DWORD Flags)
{
    (void)Flags; /* debug-information flags: nothing to do here */
    return InitializeCriticalSectionAndSpinCount(lpCriticalSection, dwSpinCount);
}

DWORD WINAPI SetCriticalSectionSpinCount(LPCRITICAL_SECTION lpCriticalSection,
                                         DWORD dwSpinCount)
{
    DWORD old = (DWORD)lpCriticalSection->SpinCount;
    lpCriticalSection->SpinCount = dwSpinCount;
    return old;
}

BOOL WINAPI TryEnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection)
{
    if (owned_by_caller(lpCriticalSection)) {
        lpCriticalSection->RecursionCount++;
        return TRUE;
    }
    if (!try_take(lpCriticalSection))
        return FALSE;
    became_owner(lpCriticalSection);
    return TRUE;
}

void WINAPI EnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection)
{
    LPCRITICAL_SECTION cs = lpCriticalSection;
    ULONG_PTR spins = cs->SpinCount;

    if (owned_by_caller(cs)) {
        cs->RecursionCount++;
        return;
    }
    for (ULONG_PTR i = 0; i < spins; i++) {
        if (__atomic_load_n(&cs->LockCount, __ATOMIC_RELAXED) == 0 && try_take(cs)) {
            became_owner(cs);
            return;
        }
        YieldProcessor();
    }
    if (!try_take(cs)) {
        /* Mark the lock "may have sleepers" and sleep until it is free. */
        while (__atomic_exchange_n(&cs->LockCount, 2, __ATOMIC_ACQUIRE) != 0)
            futex_wait(&cs->LockCount, 2);
    }
    became_owner(cs);
}

void WINAPI LeaveCriticalSection(LPCRITICAL_SECTION lpCriticalSection)
{
    LPCRITICAL_SECTION cs = lpCriticalSection;

    if (!owned_by_caller(cs))
        return; /* not the owner: undefined on Windows, ignored here */
    if (--cs->RecursionCount > 0)
        return;
    __atomic_store_n(&cs->OwningThread, NULL, __ATOMIC_RELAXED);
    if (__atomic_exchange_n(&cs->LockCount, 0, __ATOMIC_RELEASE) == 2)
        futex_wake_one(&cs->LockCount);
}

void WINAPI DeleteCriticalSection(LPCRITICAL_SECTION lpCriticalSection)
{
    /* Nothing is allocated; a deleted section must be initialized again. */
    memset(lpCriticalSection, 0, sizeof *lpCriticalSection);
}

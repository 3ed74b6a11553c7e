/* SPDX-License-Identifier: MIT */
/*
 * w32t.h - the runner and checks of the Win32 conformance suite.
 *
 * The suite is written once against the Win32 API (<windows.h>) and built
 * twice: natively against mmf's façade (include/mmf/win32.h, through its
 * compatibility <windows.h>), and with MinGW-w64 against the real
 * <windows.h>, run under Wine. Real Win32 is the oracle: a check is the
 * behaviour that docs/win32-behaviour.md gives for one of its entries, and
 * every test is named by that entry's id (B01, Q14, ...), so a reader
 * traces each check to its source.
 *
 *   W32T(B02) {
 *       SetLastError(0xdeadbeef);
 *       HANDLE h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL,
 *                                     PAGE_READWRITE, 0, 4096, w32t_name("m"));
 *       CHECK(h != NULL);
 *       CHECK_GLE(ERROR_SUCCESS);
 *       CHECK(CloseHandle(h));
 *   }
 *
 * The executable runs one section ("B"), one id ("B02") or everything
 * ("all"); ctest runs one section per case. A failed check prints the file,
 * line, and the value seen against the value expected, ends that id and the
 * run goes on with the next one; the exit code is 1 if any id failed, 77 if
 * every id was skipped, else 0.
 *
 * Where Wine is known to differ from Windows (Wine tests marked todo_wine,
 * "Wine test (todo)" in the doc), the checks assert the Windows behaviour inside
 * WINE_DIFFERS_BEGIN(id, why) ... WINE_DIFFERS_END(): under Wine a failing
 * check there is reported as an expected difference and the test goes on;
 * if all of them pass, the run reports an unexpected pass (not a failure).
 * Natively the region is transparent: the checks are ordinary checks.
 *
 * Cross-process cases start this same executable as a child running a
 * W32T_CHILD(name) function (CreateProcess under Windows, posix_spawn
 * natively; see w32t_spawn). A child's checks end the child with exit code
 * 1, which the parent's CHECK_CHILD turns into a failure.
 *
 * The little that cannot be said in Win32 terms on both sides lives in
 * runner.c and proc.c behind #ifdef _WIN32: processes, probing whether
 * memory is readable or writable, a monotonic clock, a scratch folder.
 */
#ifndef W32T_H
#define W32T_H

#include <windows.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

typedef void (*w32t_fn)(void);
typedef int (*w32t_child_fn)(int argc, char **argv);

void w32t_register(const char *id, w32t_fn fn);
void w32t_register_child(const char *name, w32t_child_fn fn);

/* One test, named by its id in docs/win32-behaviour.md. */
#define W32T(id)                                                               \
    static void w32t_test_##id(void);                                          \
    __attribute__((constructor)) static void w32t_reg_##id(void)               \
    {                                                                          \
        w32t_register(#id, w32t_test_##id);                                    \
    }                                                                          \
    static void w32t_test_##id(void)

/* Code run in a child process started by w32t_spawn(name, ...). argv holds
 * the extra arguments only. The return value is the exit code; returning
 * leaves any handle still open to the process exit, as a crash would. */
#define W32T_CHILD(name)                                                       \
    static int w32t_child_##name(int argc, char **argv);                       \
    __attribute__((constructor)) static void w32t_regc_##name(void)            \
    {                                                                          \
        w32t_register_child(#name, w32t_child_##name);                         \
    }                                                                          \
    static int w32t_child_##name(int argc, char **argv)

/* Reports a failed check. Ends the current test (or child) unless it is in
 * a Wine-differs region running under Wine, where it returns. */
void w32t_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Ends the current test as skipped (not applicable on this build). */
void w32t_skip(const char *why) __attribute__((noreturn));

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            w32t_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond);          \
    } while (0)

/* A BOOL call that must succeed; the message gives GetLastError(). */
#define CHECK_TRUE(call)                                                       \
    do {                                                                       \
        if (!(call)) {                                                         \
            DWORD e_ = GetLastError();                                         \
            w32t_fail(__FILE__, __LINE__, "%s failed: GLE %lu (%s)", #call,    \
                      (unsigned long)e_, w32t_err_name(e_));                   \
        }                                                                      \
    } while (0)

#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        unsigned long long a_ = (unsigned long long)(a);                       \
        unsigned long long b_ = (unsigned long long)(b);                       \
        if (a_ != b_)                                                          \
            w32t_fail(__FILE__, __LINE__,                                      \
                      "%s == %s failed: got %llu (0x%llx), expected %llu "      \
                      "(0x%llx)",                                              \
                      #a, #b, a_, a_, b_, b_);                                 \
    } while (0)

/* GetLastError() must be `expected`; the message names both codes. */
#define CHECK_GLE(expected)                                                    \
    w32t_check_gle(__FILE__, __LINE__, (DWORD)(expected))
void w32t_check_gle(const char *file, int line, DWORD expected);

/* A wait function's result. */
#define CHECK_WAIT(call, expected)                                             \
    do {                                                                       \
        DWORD w_ = (call);                                                     \
        if (w_ != (DWORD)(expected))                                           \
            w32t_fail(__FILE__, __LINE__, "%s returned %s, expected %s",       \
                      #call, w32t_wait_name(w_),                              \
                      w32t_wait_name((DWORD)(expected)));                      \
    } while (0)

/* A call that must fail: `call` is evaluated after SetLastError(0xdeadbeef);
 * its result must equal `bad` (NULL, FALSE, WAIT_FAILED...) and
 * GetLastError() must be `gle`. */
#define CHECK_FAILS(call, bad, gle)                                            \
    do {                                                                       \
        SetLastError(0xdeadbeef);                                              \
        unsigned long long r_ = (unsigned long long)(uintptr_t)(call);         \
        if (r_ != (unsigned long long)(uintptr_t)(bad))                        \
            w32t_fail(__FILE__, __LINE__,                                      \
                      "%s returned 0x%llx, expected failure (0x%llx)", #call,  \
                      r_, (unsigned long long)(uintptr_t)(bad));               \
        else                                                                   \
            CHECK_GLE(gle);                                                    \
    } while (0)

/* Expected-to-differ regions (see the overview). `id` is the entry of
 * docs/win32-behaviour.md that records this Wine difference. */
#define WINE_DIFFERS_BEGIN(id, why) w32t_wine_differs_begin(id, why)
#define WINE_DIFFERS_END() w32t_wine_differs_end(__FILE__, __LINE__)
void w32t_wine_differs_begin(const char *id, const char *why);
void w32t_wine_differs_end(const char *file, int line);

/* 1 when running under Wine (ntdll exports wine_get_version). */
int w32t_is_wine(void);

/* The running test's id ("B02"), or the child's. */
const char *w32t_id(void);
/* The pid of the top test process (a child's parent's, in a child). */
unsigned long w32t_owner_pid(void);

/* A unique object name for the running test: "mmf-test-w32-<pid>-<id>-<tag>"
 * (the pid of the top test process, the same in its children), in a static
 * buffer rotated among 16. ctest -j runs sections in parallel safely, and
 * the native store check finds leftovers by the prefix. */
const char *w32t_name(const char *tag);
/* The same as a wide string, for the W functions. */
const wchar_t *w32t_wname(const char *tag);
/* A scratch file path for the running test (not created). */
const char *w32t_path(const char *tag);

/* Memory probes: 1 if a byte at p can be read (written: the byte is read
 * and written back unchanged), 0 if the access faults. Main thread only. */
int w32t_readable(const void *p);
int w32t_writable(void *p);

/* 1 if the Linux host (natively, or under Wine) never refuses memory
 * (vm.overcommit_memory = 1): Windows-style commit failures cannot be
 * observed there. 0 on real Windows. */
int w32t_host_overcommits(void);

/* How much of the mapping that holds p, a view of the file at `path`, is
 * dirty: modified and not yet handed to the file system to be written,
 * in KiB (natively the Shared_Dirty and Private_Dirty lines of
 * /proc/self/smaps). -1, with *why set, when that cannot be observed: on
 * Windows, which has no call that reports it; for a file on tmpfs, whose
 * pages are never written back; where the kernel's own write-back comes
 * too soon to be told from a flush. For the FlushViewOfFile checks. */
long w32t_dirty_kib(const void *p, const char *path, const char **why);

/* The NUMA memory policy of the mapping that starts at p, as Linux's
 * /proc/self/numa_maps shows it ("prefer:0", "default"; "" if p starts no
 * mapping), natively; NULL on Windows, which has no call that reports it.
 * For the *Numa checks. Static buffer. */
const char *w32t_numa_policy(const void *p);

/* A monotonic clock in milliseconds. */
uint64_t w32t_now_ms(void);

/* Start this executable as a child running W32T_CHILD(name) with the given
 * string arguments (NULL-terminated). Returns a child number for the calls
 * below. A test that fails kills the children it started. */
int w32t_spawn(const char *name, ...) __attribute__((sentinel));
/* As w32t_spawn, but the child inherits the parent's inheritable handles
 * (CreateProcess with bInheritHandles TRUE). Windows builds only. */
int w32t_spawn_inherit(const char *name, ...) __attribute__((sentinel));
/* This executable's path, for tests that call CreateProcess themselves;
 * w32t_child_cmd() makes the command line of a child running
 * W32T_CHILD(name) with `args` (one string, may be ""). */
void w32t_self_path(char *exe, size_t cap);
const char *w32t_child_cmd(const char *name, const char *args);
/* Wait up to ms for the child to exit. Returns its exit code, or -1 if it
 * is still running. */
int w32t_child_wait(int child, DWORD ms);
/* Kill the child (TerminateProcess / SIGKILL) and reap it. */
void w32t_child_kill(int child);
/* Kill and reap every child still running; the runner calls it after each
 * test. */
void w32t_children_reap(void);

/* The child must exit with code 0 within ms. */
#define CHECK_CHILD(child, ms)                                                 \
    do {                                                                       \
        int c_ = w32t_child_wait((child), (ms));                               \
        if (c_ != 0)                                                           \
            w32t_fail(__FILE__, __LINE__, "child %s %s %d", #child,            \
                      c_ < 0 ? "timed out" : "exited with", c_);               \
    } while (0)

/* A number for a child's argv, and back. Rotated among 16 buffers. */
const char *w32t_num(unsigned long long v);
unsigned long long w32t_arg(const char *s);

/* Names of error codes and wait results, for messages. */
const char *w32t_err_name(DWORD e);
const char *w32t_wait_name(DWORD w);

/* Small helpers used across sections. */

/* A pagefile-backed section of `size` bytes (NULL name = unnamed); the
 * create must succeed with GLE 0. */
HANDLE w32t_section(const char *name, DWORD protect, uint64_t size);
/* A handle must close. */
#define CLOSE(h) CHECK_TRUE(CloseHandle(h))
/* A view of `size` bytes at offset 0 must map. */
void *w32t_map(HANDLE h, DWORD access, SIZE_T size);
#define UNMAP(p) CHECK_TRUE(UnmapViewOfFile(p))
/* A scratch file of `size` bytes (zero-filled), opened with `access`;
 * `path` receives w32t_path(tag). */
HANDLE w32t_file(const char *tag, DWORD access, DWORD size, const char **path);

/* The size a section's views may have: the largest multiple of 4096 up to
 * `limit` that maps (FILE_MAP_READ, offset 0), found from the failure of
 * MapViewOfFile for sizes past the end (G07). Returns the exact byte size
 * if the section is not page-sized: the answer is the largest n for which
 * MapViewOfFile(h, FILE_MAP_READ, 0, 0, n) succeeds. */
SIZE_T w32t_section_size(HANDLE h, SIZE_T limit);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * testos.h - what the test bodies need from the system, the same on Linux
 * (harness-linux.c) and on Windows (harness-win.c). test.h includes it.
 *
 *   test_kill(pid)            SIGKILL / TerminateProcess(h, 137): either way
 *                             test_wait then reads 137
 *   test_await_exit(pid, ms)  1 once child pid has ended (not reaped: test_wait
 *                             still reads its status), 0 after ms
 *   test_under_wine()         1 when running under Wine (ntdll exports
 *                             wine_get_version), 0 on Linux and Windows
 *   test_reserve_range(len)   address space with no access (mmap PROT_NONE /
 *                             VirtualAlloc MEM_RESERVE); test_release_range
 *   test_addr_prot(p)         TEST_PROT_* of the page at p, -1 if unmapped
 *   test_anon_map(len)        private read-write memory that is no view
 *                             (mmap MAP_ANONYMOUS / VirtualAlloc); NULL on
 *                             failure; test_anon_unmap
 *   test_tmp_parent()         where scratch folders go (/tmp, %TEMP%)
 *   test_resident(p, len)     pages of the range in memory (mincore /
 *                             QueryWorkingSetEx), -1 if not all mapped
 *
 * Cases that cannot run on one system say so by name and skip (exit 77):
 *
 *   LINUX_ONLY(reason)        in a body: skips on Windows with
 *                             "SKIP: Linux-only: <reason>"
 *   WINE_LIMITED(reason)      in a body: skips under Wine only, with
 *                             "SKIP: Wine-limited: <reason>" (what Wine
 *                             cannot show; docs/windows.md lists them)
 *   LINUX_ONLY_TEST(name, reason)
 *                             on Windows, stands for a TEST(name) whose body
 *                             does not even compile there (it is inside
 *                             #ifndef _WIN32): the case skips
 *
 * Threads are pthreads on both (static winpthreads on Windows).
 */
#ifndef MMF_TESTOS_H
#define MMF_TESTOS_H

#include <stddef.h>
#include <stdlib.h>
#include <sys/types.h>

#define TEST_PROT_READ 1
#define TEST_PROT_WRITE 2
#define TEST_PROT_EXEC 4
#define TEST_PROT_COPY 8 /* private (copy-on-write) */

void test_kill(pid_t pid);
int test_await_exit(pid_t pid, long ms);
int test_under_wine(void);
void *test_reserve_range(size_t len);
void test_release_range(void *p, size_t len);
int test_addr_prot(const void *p);
void *test_anon_map(size_t len);
void test_anon_unmap(void *p, size_t len);
long test_resident(const void *addr, size_t len);
/* The folder for the tests' scratch folders: /tmp, or Windows' TEMP. */
const char *test_tmp_parent(void);
/* Open handles of this process (Windows: GetProcessHandleCount, or under
 * Wine, which stubs it, the process's rows of the system handle table). */
int test_open_handles(void);
/*
 * A channel's whole object mapped read-write from its start, as any process
 * that may write the channel can map it (a hostile writer): len bytes of the
 * store file /dev/shm/mmf.u<uid>.<name> (or $MMF_STORE_DIR) on Linux, of
 * the Section Local\<name> (or the Global\ name the name gives) on
 * Windows. Fails the case if it cannot. In that mapping the header (struct
 * mmf__hdr) is at 0 on both, the control block at test_chan_ctl_off() (the
 * header page, 4096, on Linux; the 64 KiB header region of src/win/win.h,
 * MMF__WIN_CHAN_HDR, on Windows) and the area at test_chan_area_off() (the
 * control block is the channel granule: 4096 on Linux, 64 KiB on Windows).
 */
void *test_map_channel(const char *name, size_t len);
void test_unmap_channel(void *p, size_t len);
size_t test_chan_ctl_off(void);
size_t test_chan_area_off(void);

#ifdef _WIN32
#define TEST_ON_WINDOWS 1
#define LINUX_ONLY(...) SKIP("Linux-only: " __VA_ARGS__)
#define LINUX_ONLY_TEST(name, reason)                                          \
    TEST(name)                                                                 \
    {                                                                          \
        LINUX_ONLY(reason);                                                    \
    }
/* kill() for the tests' helpers: TerminateProcess with 128 + sig as the
 * exit code; sig 0 only checks that the process can be opened. */
#ifndef SIGKILL
#define SIGKILL 9
#endif
int test_kill_sig(pid_t pid, int sig);
static inline int kill(pid_t pid, int sig)
{
    return test_kill_sig(pid, sig);
}
/* The system's commit limit and what is left of it (bytes). */
void test_commit_space(unsigned long long *total, unsigned long long *avail);
/* sysconf(_SC_PAGESIZE) */
#define _SC_PAGESIZE 30
long test_sysconf(int name);
#define sysconf(name) test_sysconf(name)
/* mkdir has no mode on Windows (the C runtime's mkdir; io.h, which
 * declares it, is in by now through unistd.h). */
#define mkdir(path, mode) ((void)(mode), mkdir(path))
/* Positioned reads and writes on a C runtime descriptor (files are binary:
 * harness-win.c sets _fmode). Not atomic against other threads, which the
 * tests do not need. */
long long test_pread(int fd, void *buf, size_t n, long long off);
long long test_pwrite(int fd, const void *buf, size_t n, long long off);
#define pread(fd, buf, n, off) test_pread(fd, buf, n, (long long)(off))
#define pwrite(fd, buf, n, off) test_pwrite(fd, buf, n, (long long)(off))
#ifndef O_CLOEXEC
#define O_CLOEXEC 0 /* handles are not inherited unless asked */
#endif
#define fsync(fd) _commit(fd)
/* A helper that waits to be killed. */
__attribute__((noreturn)) static inline int pause(void)
{
    for (;;)
        test_sleep_ms(1000000);
}
/* The C runtime's environment (MSVCRT has no setenv). */
static inline int setenv(const char *name, const char *value, int overwrite)
{
    if (!overwrite && getenv(name) != NULL)
        return 0;
    return _putenv_s(name, value) == 0 ? 0 : -1;
}
static inline int unsetenv(const char *name)
{
    return _putenv_s(name, "") == 0 ? 0 : -1;
}
/* close() of a test_sync end closes its pipe handle; anything else is a C
 * runtime descriptor. */
int test_close(int fd);
#define close(fd) test_close(fd)
#else
#define TEST_ON_WINDOWS 0
#define LINUX_ONLY(...) ((void)0)
#endif

#define WINE_LIMITED(...)                                                      \
    do {                                                                       \
        if (test_under_wine())                                                 \
            SKIP("Wine-limited: " __VA_ARGS__);                                \
    } while (0)

#endif

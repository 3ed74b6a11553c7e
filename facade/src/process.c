/* SPDX-License-Identifier: MIT */
/*
 * process.c - CreateProcess, process handles (waitable, GetExitCodeProcess,
 * TerminateProcess, OpenProcess), ExitProcess and handle inheritance.
 *
 * A process object holds an unnamed native manual-reset event that is set
 * when the process has ended, so process handles work in the native waits
 * as thread handles do. A watcher thread per process sets it: for a child
 * of this process it reaps the child with waitpid() (which also gives the
 * exit code); for any other process it polls a pidfd, which becomes
 * readable when the process ends. The kernel has released a dead process's
 * robust mutexes before either returns, so a wait on the process and then
 * on a mutex it died holding gives WAIT_ABANDONED, as on Windows.
 *
 * INHERITANCE
 *
 * Windows copies the inheritable entries of the parent's handle table into
 * the child's, at the same values, and programs pass those values on the
 * command line. Here CreateProcess with bInheritHandles TRUE describes each
 * inheritable handle in one environment variable of the child,
 *
 *     MMF_WIN32_HANDLES=1;<value>:<kind>:<access>:<ref>;...
 *
 * (value and access in hex, kind a decimal w32_kind). <ref> is an
 * inheritable native reference: a token of mmf_section_export() or
 * mmf_sync_export() for sections, mutexes, events and semaphores, named or
 * not, or "fd<n>" for a file, whose descriptor the child inherits. The
 * descriptors cross exec(); the parent releases its copies as soon as the
 * child exists, so the child's references keep the objects alive exactly
 * as the inherited handles do on Windows, even if the parent closes its
 * handles at once. Thread and process handles are not passed on.
 *
 * When the façade is loaded in the child, before main(), it reads the
 * variable, removes it from the environment (so that the child's own
 * children do not see it), and puts each object at its value in the
 * still-empty handle table. The variable is untrusted input: every field
 * is parsed with bounds, values must be handle values the table can hold,
 * kinds must be inheritable ones, access masks must be within the kind's
 * rights, a value given twice keeps the first, a file descriptor must be
 * open, inheritable and not a standard stream, and each token is checked by
 * the native import (the object's header and state are validated as for
 * any open). A record that fails any check is dropped, without a handle.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "w32.h"

extern char **environ;

#define INHERIT_VAR "MMF_WIN32_HANDLES"
/* The longest variable a child reads (a few thousand handles). */
#define INHERIT_MAX (1u << 20)

struct w32_process {
    unsigned refs;          /* under plock */
    mmf_sync *done;         /* manual-reset, set once it has ended */
    pid_t pid;
    int pidfd;              /* -1 for the calling process */
    int child;              /* started here: waitpid gives its status */
    int ended;              /* atomic: exit_code is final */
    int term_set;           /* TerminateProcess chose the exit code */
    DWORD term_code;
    DWORD exit_code;
    struct w32_process *next; /* children list */
};

static pthread_mutex_t plock = PTHREAD_MUTEX_INITIALIZER;
static struct w32_process *children; /* processes started here, alive or
                                        not, while a handle holds them */
static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------------ */
/* Process objects                                                           */
/* ------------------------------------------------------------------------ */

mmf_sync *mmf__w32_process_event(struct w32_process *p)
{
    return p->done;
}

DWORD mmf__w32_process_pid(const struct w32_process *p)
{
    return (DWORD)p->pid;
}

void mmf__w32_process_ref(struct w32_process *p)
{
    pthread_mutex_lock(&plock);
    p->refs++;
    pthread_mutex_unlock(&plock);
}

void mmf__w32_process_unref(struct w32_process *p)
{
    int last;

    pthread_mutex_lock(&plock);
    last = --p->refs == 0;
    if (last && p->child) {
        for (struct w32_process **pp = &children; *pp != NULL; pp = &(*pp)->next) {
            if (*pp == p) {
                *pp = p->next;
                break;
            }
        }
    }
    pthread_mutex_unlock(&plock);
    if (!last)
        return;
    mmf_sync_close(p->done);
    if (p->pidfd >= 0)
        close(p->pidfd);
    free(p);
}

static struct w32_process *process_new(pid_t pid, int pidfd, int child)
{
    struct w32_process *p = calloc(1, sizeof *p);

    if (p == NULL)
        return NULL;
    if (mmf_event_create(&p->done, NULL, 1, 0, MMF_CREATE_NEW, NULL) < 0) {
        free(p);
        return NULL;
    }
    p->refs = 1;
    p->pid = pid;
    p->pidfd = pidfd;
    p->child = child;
    return p;
}

/* The calling process: its event is never set, as it cannot end while
 * one of its threads waits. */
struct w32_process *mmf__w32_process_self(void)
{
    return process_new(getpid(), -1, 0);
}

DWORD mmf__w32_process_exit_code(struct w32_process *p, DWORD *code)
{
    if (!__atomic_load_n(&p->ended, __ATOMIC_ACQUIRE)) {
        *code = STILL_ACTIVE;
        return 0;
    }
    if (!p->child)
        return ERROR_NOT_SUPPORTED; /* Linux tells only a parent */
    *code = p->exit_code;
    return 0;
}

/* The Windows exit code of a Linux wait status. */
static DWORD exit_code_of(const struct w32_process *p, int st)
{
    if (WIFEXITED(st))
        return (DWORD)WEXITSTATUS(st);
    if (!WIFSIGNALED(st))
        return 0;
    if (p->term_set && WTERMSIG(st) == SIGKILL)
        return p->term_code;
    switch (WTERMSIG(st)) {
    case SIGSEGV:
    case SIGBUS:
        return 0xC0000005; /* STATUS_ACCESS_VIOLATION */
    case SIGILL:
        return 0xC000001D; /* STATUS_ILLEGAL_INSTRUCTION */
    case SIGFPE:
        return 0xC0000094; /* STATUS_INTEGER_DIVIDE_BY_ZERO */
    case SIGABRT:
        return 3;          /* what the C runtime's abort() exits with */
    default:
        return 128 + (DWORD)WTERMSIG(st);
    }
}

static void *watch_main(void *arg)
{
    struct w32_process *p = arg;

    if (p->child) {
        int st = 0;
        while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
            ;
        pthread_mutex_lock(&plock); /* term_set and term_code */
        p->exit_code = exit_code_of(p, st);
        pthread_mutex_unlock(&plock);
    } else {
        struct pollfd pfd = {p->pidfd, POLLIN, 0};
        while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
            ;
    }
    __atomic_store_n(&p->ended, 1, __ATOMIC_RELEASE);
    mmf_event_set(p->done);
    mmf__w32_process_unref(p);
    return NULL;
}

/* Start p's watcher, which takes a reference. Returns 0 or an errno. */
static int watch_start(struct w32_process *p)
{
    pthread_attr_t attr;
    pthread_t t;
    int e;

    mmf__w32_process_ref(p);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    e = pthread_create(&t, &attr, watch_main, p);
    pthread_attr_destroy(&attr);
    if (e != 0)
        mmf__w32_process_unref(p);
    return e;
}

static int pidfd_open_(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static mmf_sync *always;
static pthread_once_t always_once = PTHREAD_ONCE_INIT;

static void always_make(void)
{
    if (mmf_event_create(&always, NULL, 1, 1, MMF_CREATE_NEW, NULL) < 0)
        always = NULL;
}

mmf_sync *mmf__w32_signaled(void)
{
    pthread_once(&always_once, always_make);
    return always;
}

/* ------------------------------------------------------------------------ */
/* Command lines                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Split a command line as the Microsoft C runtime does (and
 * CommandLineToArgvW): the program name ends at the first blank, or at
 * the closing quote if it starts with one; in the other arguments 2n
 * backslashes before a quote give n backslashes and the quote opens or
 * closes a quoted part, 2n+1 give n and a literal quote, other backslashes
 * are literal, and "" inside a quoted part is a literal quote. Returns a
 * NULL-terminated array in one allocation, or NULL if out of memory.
 */
static char **split_command_line(const char *cmd, int *argc_out)
{
    size_t len = strlen(cmd), cap = len / 2 + 2;
    char **argv = malloc(cap * sizeof *argv + len + 1 + cap);
    char *out, *o;
    const char *c = cmd;
    int argc = 0;

    if (argv == NULL)
        return NULL;
    out = o = (char *)(argv + cap);
    /* The program name. */
    argv[argc++] = o;
    if (*c == '"') {
        for (c++; *c != '\0' && *c != '"'; c++)
            *o++ = *c;
        if (*c == '"')
            c++;
    } else {
        for (; *c != '\0' && *c != ' ' && *c != '\t'; c++)
            *o++ = *c;
    }
    *o++ = '\0';
    for (;;) {
        int quoted = 0;
        while (*c == ' ' || *c == '\t')
            c++;
        if (*c == '\0')
            break;
        argv[argc++] = o;
        while (*c != '\0' && (quoted || (*c != ' ' && *c != '\t'))) {
            if (*c == '\\') {
                size_t n = 0;
                while (*c == '\\') {
                    n++;
                    c++;
                }
                if (*c == '"') {
                    for (size_t k = 0; k < n / 2; k++)
                        *o++ = '\\';
                    if (n % 2) {
                        *o++ = '"';
                        c++;
                    }
                } else {
                    for (size_t k = 0; k < n; k++)
                        *o++ = '\\';
                }
            } else if (*c == '"') {
                if (quoted && c[1] == '"') {
                    *o++ = '"';
                    c += 2;
                } else {
                    quoted = !quoted;
                    c++;
                }
            } else {
                *o++ = *c++;
            }
        }
        *o++ = '\0';
    }
    argv[argc] = NULL;
    (void)out;
    *argc_out = argc;
    return argv;
}

/* 1 if `path` names an executable regular file; else 0 with *err the
 * Win32 error. */
static int executable(const char *path, DWORD *err)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        if (*err == 0 || *err == ERROR_FILE_NOT_FOUND)
            *err = errno == ENOENT || errno == ENOTDIR ? ERROR_FILE_NOT_FOUND
                                                       : ERROR_ACCESS_DENIED;
        return 0;
    }
    if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
        *err = ERROR_ACCESS_DENIED;
        return 0;
    }
    return 1;
}

/* Try `dir`/`name` and, for "x.exe", `dir`/x: the Linux build of a Windows
 * program has no extension. Returns a new string or NULL. */
static char *try_in(const char *dir, const char *name, DWORD *err)
{
    size_t n = strlen(name);
    char *path = malloc((dir != NULL ? strlen(dir) : 0) + n + 2);

    if (path == NULL) {
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    if (dir != NULL && dir[0] != '\0')
        sprintf(path, "%s/%s", dir, name);
    else
        strcpy(path, name);
    if (executable(path, err))
        return path;
    n = strlen(path);
    if (n > 4 && strcasecmp(path + n - 4, ".exe") == 0) {
        path[n - 4] = '\0';
        if (executable(path, err))
            return path;
    }
    free(path);
    return NULL;
}

/*
 * The file CreateProcess runs. lpApplicationName is used as given (no
 * search, as on Windows); a program name from the command line is looked
 * for, as Windows does, in the folder of the calling program, the current
 * folder and the folders of PATH, unless it has a slash. Returns a new
 * string, or NULL with *err.
 */
static char *resolve_program(const char *name, int search, DWORD *err)
{
    char self[PATH_MAX], *slash, *path, *dirs, *save = NULL;
    ssize_t n;

    *err = ERROR_FILE_NOT_FOUND;
    if (name[0] == '\0')
        return NULL;
    if (!search || strchr(name, '/') != NULL)
        return try_in(NULL, name, err);
    n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        if ((slash = strrchr(self, '/')) != NULL) {
            *slash = '\0';
            if ((path = try_in(self[0] ? self : "/", name, err)) != NULL)
                return path;
        }
    }
    if ((path = try_in(".", name, err)) != NULL)
        return path;
    if (getenv("PATH") == NULL || (dirs = strdup(getenv("PATH"))) == NULL)
        return NULL;
    for (char *d = strtok_r(dirs, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
        if ((path = try_in(d, name, err)) != NULL)
            break;
    }
    free(dirs);
    return path;
}

/* ------------------------------------------------------------------------ */
/* The inheritance variable                                                  */
/* ------------------------------------------------------------------------ */

struct inherit_buf {
    char *s;
    size_t len, cap;
    DWORD err;
    int fds[64];             /* descriptors to close after the spawn */
    int nfds;
    char (*tokens)[MMF_TOKEN_BYTES]; /* exports to release after it */
    size_t ntokens, captokens;
};

static int buf_add(struct inherit_buf *b, const char *text)
{
    size_t n = strlen(text);

    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap * 2 + n + 64;
        char *s = realloc(b->s, cap);
        if (s == NULL)
            return -1;
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, text, n + 1);
    b->len += n;
    return 0;
}

static int keep_token(struct inherit_buf *b, const char *token)
{
    if (b->ntokens == b->captokens) {
        size_t cap = b->captokens * 2 + 8;
        void *t = realloc(b->tokens, cap * sizeof *b->tokens);
        if (t == NULL)
            return -1;
        b->tokens = t;
        b->captokens = cap;
    }
    strcpy(b->tokens[b->ntokens++], token);
    return 0;
}

/* Describe one inheritable handle (called under the table lock). */
static int describe(HANDLE h, const struct w32_entry *e, void *arg)
{
    struct inherit_buf *b = arg;
    char ref[MMF_TOKEN_BYTES + 32], rec[MMF_TOKEN_BYTES + 96];
    int rc = 0;

    switch (e->kind) {
    case W32_SECTION: {
        mmf_section_info *info = malloc(sizeof *info);
        if (info == NULL)
            return ERROR_NOT_ENOUGH_MEMORY;
        mmf_section_stat(e->u.section, info);
        rc = mmf_section_export(e->u.section, info->access, ref);
        free(info);
        if (rc == 0 && keep_token(b, ref) < 0)
            return ERROR_NOT_ENOUGH_MEMORY;
        break;
    }
    case W32_MUTEX:
    case W32_EVENT:
    case W32_SEMAPHORE:
        rc = mmf_sync_export(e->u.sync, ref);
        if (rc == 0 && keep_token(b, ref) < 0)
            return ERROR_NOT_ENOUGH_MEMORY;
        break;
    case W32_FILE: {
        int fd;
        if (b->nfds == (int)(sizeof b->fds / sizeof b->fds[0]))
            return ERROR_TOO_MANY_OPEN_FILES;
        /* A descriptor without close-on-exec, at 3 or above. */
        if ((fd = fcntl(e->u.file->fd, F_DUPFD, 3)) < 0)
            return ERROR_TOO_MANY_OPEN_FILES;
        b->fds[b->nfds++] = fd;
        snprintf(ref, sizeof ref, "fd%d", fd);
        break;
    }
    default:
        return 0; /* threads and processes are not passed on */
    }
    if (rc < 0)
        return mmf__w32_error(rc);
    snprintf(rec, sizeof rec, ";%lx:%u:%lx:%s", (unsigned long)(uintptr_t)h,
             (unsigned)e->kind, (unsigned long)e->access, ref);
    return buf_add(b, rec) < 0 ? ERROR_NOT_ENOUGH_MEMORY : 0;
}

/* Release the parent's copies once the child has them (or on failure). */
static void inherit_release(struct inherit_buf *b)
{
    for (int i = 0; i < b->nfds; i++)
        close(b->fds[i]);
    for (size_t i = 0; i < b->ntokens; i++)
        mmf_sync_export_close(b->tokens[i]); /* the same for sections */
    free(b->tokens);
    free(b->s);
}

/* Parse a hex or decimal field up to `stop`; 0 on success. */
static int field(const char **p, int base, char stop, unsigned long *out)
{
    char *end;

    if (!isxdigit((unsigned char)**p))
        return -1;
    errno = 0;
    *out = strtoul(*p, &end, base);
    if (errno != 0 || end == *p || *end != stop)
        return -1;
    *p = end + 1;
    return 0;
}

/* Import one record's object; returns 0 with *u set, or -1. */
static int import_ref(enum w32_kind kind, const char *ref, union w32_payload *u)
{
    if (kind == W32_SECTION)
        return mmf_section_import(ref, &u->section) == 0 ? 0 : -1;
    if (kind == W32_FILE) {
        struct w32_file *f;
        unsigned long fd;
        char *end;
        int fl;

        if (strncmp(ref, "fd", 2) != 0 || ref[2] < '0' || ref[2] > '9')
            return -1;
        errno = 0;
        fd = strtoul(ref + 2, &end, 10);
        if (errno != 0 || *end != '\0' || fd < 3 || fd > INT_MAX)
            return -1;
        /* Inherited: open, and without close-on-exec (a descriptor that
         * has it was opened in this process, not passed). */
        if ((fl = fcntl((int)fd, F_GETFD)) < 0 || (fl & FD_CLOEXEC))
            return -1;
        if ((f = calloc(1, sizeof *f)) == NULL)
            return -1;
        fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC);
        f->refs = 1;
        f->fd = (int)fd;
        u->file = f;
        return 0;
    }
    {
        static const int types[] = {[W32_MUTEX] = MMF_TYPE_MUTEX,
                                    [W32_EVENT] = MMF_TYPE_EVENT,
                                    [W32_SEMAPHORE] = MMF_TYPE_SEMAPHORE};
        mmf_sync_info *info;
        int ok;

        if (mmf_sync_import(ref, &u->sync) != 0)
            return -1;
        if ((info = malloc(sizeof *info)) == NULL) {
            mmf_sync_close(u->sync);
            return -1;
        }
        ok = mmf_sync_stat(u->sync, info) == 0 && info->type == types[kind];
        free(info);
        if (!ok) {
            mmf_sync_close(u->sync);
            return -1;
        }
        return 0;
    }
}

void mmf__w32_inherit_load(void)
{
    const char *v = getenv(INHERIT_VAR), *p;
    char *copy, ref[MMF_TOKEN_BYTES + 32];
    size_t n;

    if (v == NULL)
        return;
    n = strnlen(v, INHERIT_MAX + 1);
    copy = n <= INHERIT_MAX ? strndup(v, n) : NULL;
    unsetenv(INHERIT_VAR);
    if (copy == NULL)
        return;
    if (strncmp(copy, "1", 1) != 0) {
        free(copy);
        return;
    }
    p = copy + 1;
    while (*p == ';') {
        unsigned long value, kind, access;
        union w32_payload u;
        size_t rl;

        p++;
        rl = strcspn(p, ";");
        if (field(&p, 16, ':', &value) < 0 || field(&p, 10, ':', &kind) < 0 ||
            field(&p, 16, ':', &access) < 0)
            break; /* the rest cannot be trusted to line up */
        rl = strcspn(p, ";");
        if (rl >= sizeof ref)
            break;
        memcpy(ref, p, rl);
        ref[rl] = '\0';
        p += rl;
        if (kind != W32_SECTION && kind != W32_FILE && kind != W32_MUTEX &&
            kind != W32_EVENT && kind != W32_SEMAPHORE)
            continue;
        if (access & ~(unsigned long)mmf__w32_all_access((enum w32_kind)kind))
            continue;
        if (import_ref((enum w32_kind)kind, ref, &u) < 0)
            continue;
        if (mmf__w32_place(value, (enum w32_kind)kind, (DWORD)access, u) < 0)
            mmf__w32_payload_release((enum w32_kind)kind, u);
    }
    mmf__w32_place_done();
    free(copy);
}

/* ------------------------------------------------------------------------ */
/* CreateProcess                                                             */
/* ------------------------------------------------------------------------ */

#define ACCEPTED_FLAGS                                                         \
    (CREATE_NEW_CONSOLE | CREATE_NO_WINDOW | DETACHED_PROCESS |                 \
     CREATE_NEW_PROCESS_GROUP | CREATE_UNICODE_ENVIRONMENT |                    \
     CREATE_DEFAULT_ERROR_MODE | CREATE_BREAKAWAY_FROM_JOB |                    \
     NORMAL_PRIORITY_CLASS | IDLE_PRIORITY_CLASS | HIGH_PRIORITY_CLASS |        \
     REALTIME_PRIORITY_CLASS | BELOW_NORMAL_PRIORITY_CLASS |                    \
     ABOVE_NORMAL_PRIORITY_CLASS)
#define REFUSED_FLAGS                                                          \
    (DEBUG_PROCESS | DEBUG_ONLY_THIS_PROCESS | CREATE_SUSPENDED |               \
     EXTENDED_STARTUPINFO_PRESENT)

/* The environment of the child: `env` (an array the caller frees), or
 * this process's, plus the inheritance variable if not NULL. */
static char **child_env(char **env, const char *inherit_var)
{
    char **from = env != NULL ? env : environ;
    size_t n = 0, k = 0;
    char **out;

    while (from[n] != NULL)
        n++;
    if ((out = malloc((n + 2) * sizeof *out)) == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(from[i], INHERIT_VAR "=", sizeof INHERIT_VAR) != 0)
            out[k++] = from[i];
    }
    if (inherit_var != NULL)
        out[k++] = (char *)inherit_var;
    out[k] = NULL;
    return out;
}

/* The common part of CreateProcessA/W, on UTF-8 strings. env is a
 * NULL-terminated array or NULL. Returns 0 or the Win32 error. */
static DWORD create_process(const char *app, const char *cmdline,
                            BOOL inherit, DWORD flags, char **env,
                            const char *cwd, const STARTUPINFOA *si,
                            LPPROCESS_INFORMATION pi)
{
    struct inherit_buf b;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    struct w32_process *p = NULL;
    union w32_payload u;
    char **argv = NULL, **cenv = NULL, *prog = NULL;
    struct w32_entry *std[3] = {NULL, NULL, NULL};
    DWORD err = 0;
    pid_t pid;
    int argc = 0, rc, pidfd;

    if (flags & REFUSED_FLAGS)
        return ERROR_NOT_SUPPORTED;
    if (flags & ~(DWORD)(ACCEPTED_FLAGS | REFUSED_FLAGS))
        return ERROR_INVALID_PARAMETER;
    if (si == NULL || pi == NULL || (app == NULL && cmdline == NULL))
        return ERROR_INVALID_PARAMETER;
    if ((argv = split_command_line(cmdline != NULL ? cmdline : app, &argc)) == NULL)
        return ERROR_NOT_ENOUGH_MEMORY;
    if ((prog = resolve_program(app != NULL ? app : argv[0], app == NULL, &err)) == NULL) {
        free(argv);
        return err;
    }
    err = 0;
    if (cwd != NULL) {
        struct stat st;
        if (stat(cwd, &st) != 0 || !S_ISDIR(st.st_mode)) {
            free(prog);
            free(argv);
            return ERROR_DIRECTORY;
        }
    }
    memset(&b, 0, sizeof b);
    pthread_mutex_lock(&spawn_lock);
    if (buf_add(&b, INHERIT_VAR "=1") < 0)
        err = ERROR_NOT_ENOUGH_MEMORY;
    else if (inherit)
        err = (DWORD)mmf__w32_each_inheritable(describe, &b);
    if (err == 0 && (cenv = child_env(env, inherit && b.len > sizeof INHERIT_VAR + 1 ? b.s : NULL)) == NULL)
        err = ERROR_NOT_ENOUGH_MEMORY;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    if (err == 0 && cwd != NULL)
        posix_spawn_file_actions_addchdir_np(&fa, cwd);
    if (err == 0 && (si->dwFlags & STARTF_USESTDHANDLES)) {
        HANDLE hs[3] = {si->hStdInput, si->hStdOutput, si->hStdError};
        for (int i = 0; i < 3; i++) {
            DWORD e2;
            if (hs[i] == NULL || hs[i] == INVALID_HANDLE_VALUE)
                continue;
            if ((std[i] = mmf__w32_get(hs[i], W32_K(W32_FILE), &e2)) == NULL) {
                err = e2;
                break;
            }
            posix_spawn_file_actions_adddup2(&fa, std[i]->u.file->fd, i);
        }
    }
    if (err == 0 && (flags & CREATE_NEW_PROCESS_GROUP)) {
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    }
    if (err == 0) {
        rc = posix_spawn(&pid, prog, &fa, &attr, argv, cenv);
        if (rc != 0)
            err = rc == ENOEXEC ? ERROR_BAD_EXE_FORMAT
                  : rc == EACCES ? ERROR_ACCESS_DENIED
                  : rc == ENOENT ? ERROR_FILE_NOT_FOUND
                  : rc == E2BIG ? ERROR_INVALID_PARAMETER
                                : ERROR_NOT_ENOUGH_MEMORY;
    }
    /* The child has its copies (posix_spawn returns after its exec). */
    inherit_release(&b);
    pthread_mutex_unlock(&spawn_lock);
    for (int i = 0; i < 3; i++) {
        if (std[i] != NULL)
            mmf__w32_put(std[i]);
    }
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free(cenv);
    free(prog);
    free(argv);
    if (err != 0)
        return err;
    /* The child is not reaped before its watcher runs, so its pid is its
     * own until then. */
    pidfd = pidfd_open_(pid);
    if ((p = process_new(pid, pidfd, 1)) == NULL || watch_start(p) != 0) {
        /* Nothing can watch it: it would be a process nobody can wait
         * for, so it is ended. */
        kill(pid, SIGKILL);
        if (p == NULL) {
            waitpid(pid, NULL, 0);
            if (pidfd >= 0)
                close(pidfd);
        } else {
            waitpid(pid, NULL, 0);
            mmf__w32_process_unref(p);
        }
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    pthread_mutex_lock(&plock);
    p->next = children;
    children = p;
    p->refs++; /* the second handle: the main thread's */
    pthread_mutex_unlock(&plock);
    u.process = p;
    pi->hProcess = mmf__w32_new(W32_PROCESS, PROCESS_ALL_ACCESS, u);
    pi->hThread = mmf__w32_new(W32_PROCESS, THREAD_ALL_ACCESS, u);
    if (pi->hProcess == NULL || pi->hThread == NULL) {
        if (pi->hProcess != NULL)
            CloseHandle(pi->hProcess);
        else
            mmf__w32_process_unref(p);
        if (pi->hThread != NULL)
            CloseHandle(pi->hThread);
        else
            mmf__w32_process_unref(p);
        pi->hProcess = pi->hThread = NULL;
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    pi->dwProcessId = (DWORD)pid;
    pi->dwThreadId = (DWORD)pid; /* a process's main thread has its id */
    return 0;
}

/* A NUL-separated, double-NUL-terminated environment block as an array
 * (pointing into the block, or into *conv for a converted wide one). */
static char **block_env(const void *block, int wide, char **conv, DWORD *err)
{
    size_t n = 0, k = 0;
    char **env;

    *conv = NULL;
    if (wide) {
        const wchar_t *w = block;
        size_t total = 0, len = 0;
        char *o;
        while (w[total] != L'\0')
            total += wcslen(w + total) + 1;
        if ((*conv = malloc(total * 4 + 2)) == NULL) {
            *err = ERROR_NOT_ENOUGH_MEMORY;
            return NULL;
        }
        o = *conv;
        for (size_t i = 0; i < total; i += wcslen(w + i) + 1) {
            if ((*err = mmf__w32_to_utf8(w + i, o, total * 4 + 2 - len)) != 0) {
                free(*conv);
                return NULL;
            }
            len += strlen(o) + 1;
            o += strlen(o) + 1;
        }
        *o = '\0';
        block = *conv;
    }
    for (const char *s = block; *s != '\0'; s += strlen(s) + 1)
        n++;
    if ((env = malloc((n + 1) * sizeof *env)) == NULL) {
        free(*conv);
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    for (const char *s = block; *s != '\0'; s += strlen(s) + 1)
        env[k++] = (char *)s;
    env[k] = NULL;
    return env;
}

BOOL WINAPI CreateProcessA(LPCSTR lpApplicationName, LPSTR lpCommandLine,
                           LPSECURITY_ATTRIBUTES lpProcessAttributes,
                           LPSECURITY_ATTRIBUTES lpThreadAttributes,
                           BOOL bInheritHandles, DWORD dwCreationFlags,
                           LPVOID lpEnvironment, LPCSTR lpCurrentDirectory,
                           LPSTARTUPINFOA lpStartupInfo,
                           LPPROCESS_INFORMATION lpProcessInformation)
{
    char **env = NULL, *conv = NULL;
    DWORD err = 0;

    if (lpEnvironment != NULL &&
        (env = block_env(lpEnvironment, (dwCreationFlags & CREATE_UNICODE_ENVIRONMENT) != 0,
                         &conv, &err)) == NULL) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    err = create_process(lpApplicationName, lpCommandLine, bInheritHandles,
                         dwCreationFlags, env, lpCurrentDirectory, lpStartupInfo,
                         lpProcessInformation);
    free(env);
    free(conv);
    if (err != 0) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    mmf__w32_inherit_sa(lpProcessInformation->hProcess, lpProcessAttributes);
    mmf__w32_inherit_sa(lpProcessInformation->hThread, lpThreadAttributes);
    return TRUE;
}

BOOL WINAPI CreateProcessW(LPCWSTR lpApplicationName, LPWSTR lpCommandLine,
                           LPSECURITY_ATTRIBUTES lpProcessAttributes,
                           LPSECURITY_ATTRIBUTES lpThreadAttributes,
                           BOOL bInheritHandles, DWORD dwCreationFlags,
                           LPVOID lpEnvironment, LPCWSTR lpCurrentDirectory,
                           LPSTARTUPINFOW lpStartupInfo,
                           LPPROCESS_INFORMATION lpProcessInformation)
{
    char *app = NULL, *cmd = NULL, *cwd = NULL;
    STARTUPINFOA si;
    DWORD err = 0;
    BOOL ok = FALSE;

    if ((lpApplicationName != NULL && (app = mmf__w32_to_utf8_alloc(lpApplicationName, &err)) == NULL) ||
        (lpCommandLine != NULL && (cmd = mmf__w32_to_utf8_alloc(lpCommandLine, &err)) == NULL) ||
        (lpCurrentDirectory != NULL &&
         (cwd = mmf__w32_to_utf8_alloc(lpCurrentDirectory, &err)) == NULL)) {
        mmf__w32_set_error(err);
        goto out;
    }
    if (lpStartupInfo == NULL) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        goto out;
    }
    /* The fields the façade reads are the same in both forms. */
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = lpStartupInfo->dwFlags;
    si.hStdInput = lpStartupInfo->hStdInput;
    si.hStdOutput = lpStartupInfo->hStdOutput;
    si.hStdError = lpStartupInfo->hStdError;
    ok = CreateProcessA(app, cmd, lpProcessAttributes, lpThreadAttributes,
                        bInheritHandles, dwCreationFlags, lpEnvironment, cwd, &si,
                        lpProcessInformation);
out:
    free(app);
    free(cmd);
    free(cwd);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Process handles                                                           */
/* ------------------------------------------------------------------------ */

HANDLE WINAPI OpenProcess(DWORD dwDesiredAccess, BOOL bInheritHandle,
                          DWORD dwProcessId)
{
    struct w32_process *p = NULL;
    union w32_payload u;
    HANDLE h;
    DWORD err;
    int pidfd;

    if (dwProcessId == 0 || dwProcessId > INT_MAX) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if ((err = mmf__w32_check_open_access(W32_PROCESS, dwDesiredAccess)) != 0) {
        mmf__w32_set_error(err);
        return NULL;
    }
    if ((pid_t)dwProcessId == getpid()) {
        p = mmf__w32_process_self();
    } else {
        pthread_mutex_lock(&plock);
        for (struct w32_process *c = children; c != NULL; c = c->next) {
            if (c->pid == (pid_t)dwProcessId) {
                c->refs++;
                p = c;
                break;
            }
        }
        pthread_mutex_unlock(&plock);
        if (p == NULL) {
            /* No such process: Windows says ERROR_INVALID_PARAMETER.
             * Another user's: ERROR_ACCESS_DENIED. */
            if ((pidfd = pidfd_open_((pid_t)dwProcessId)) < 0) {
                mmf__w32_set_error(errno == ESRCH ? ERROR_INVALID_PARAMETER
                                                  : ERROR_NOT_ENOUGH_MEMORY);
                return NULL;
            }
            if (kill((pid_t)dwProcessId, 0) != 0 && errno == EPERM) {
                close(pidfd);
                mmf__w32_set_error(ERROR_ACCESS_DENIED);
                return NULL;
            }
            if ((p = process_new((pid_t)dwProcessId, pidfd, 0)) == NULL) {
                close(pidfd);
            } else if (watch_start(p) != 0) {
                mmf__w32_process_unref(p);
                p = NULL;
            }
        }
    }
    if (p == NULL) {
        mmf__w32_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    u.process = p;
    if ((h = mmf__w32_new(W32_PROCESS, mmf__w32_map_access(W32_PROCESS, dwDesiredAccess),
                          u)) == NULL) {
        mmf__w32_process_unref(p);
        mmf__w32_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    return mmf__w32_inherit(h, bInheritHandle);
}

BOOL WINAPI GetExitCodeProcess(HANDLE hProcess, LPDWORD lpExitCode)
{
    struct w32_entry *e;
    DWORD err;

    if (hProcess == W32_PSEUDO_PROCESS) {
        *lpExitCode = STILL_ACTIVE;
        return TRUE;
    }
    if ((e = mmf__w32_get(hProcess, W32_K(W32_PROCESS), &err)) == NULL) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    if (!(e->access & (PROCESS_QUERY_INFORMATION | PROCESS_QUERY_LIMITED_INFORMATION)))
        err = ERROR_ACCESS_DENIED;
    else
        err = mmf__w32_process_exit_code(e->u.process, lpExitCode);
    mmf__w32_put(e);
    if (err != 0) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    return TRUE;
}

BOOL WINAPI TerminateProcess(HANDLE hProcess, UINT uExitCode)
{
    struct w32_process *p;
    struct w32_entry *e;
    DWORD err = 0;

    if (hProcess == W32_PSEUDO_PROCESS)
        _exit((int)uExitCode);
    if ((e = mmf__w32_get(hProcess, W32_K(W32_PROCESS), &err)) == NULL) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    p = e->u.process;
    if (!(e->access & PROCESS_TERMINATE)) {
        err = ERROR_ACCESS_DENIED;
    } else if (p->pidfd < 0) {
        mmf__w32_put(e);
        _exit((int)uExitCode); /* a real handle to the calling process */
    } else if (__atomic_load_n(&p->ended, __ATOMIC_ACQUIRE)) {
        err = ERROR_ACCESS_DENIED; /* it has ended (Microsoft's remarks) */
    } else {
        pthread_mutex_lock(&plock);
        if (!p->term_set) {
            p->term_set = 1;
            p->term_code = uExitCode;
        }
        pthread_mutex_unlock(&plock);
        if (syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0) != 0 &&
            errno != ESRCH)
            err = ERROR_ACCESS_DENIED;
    }
    mmf__w32_put(e);
    if (err != 0) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    return TRUE;
}

DWORD WINAPI GetProcessId(HANDLE Process)
{
    struct w32_entry *e;
    DWORD err, pid;

    if (Process == W32_PSEUDO_PROCESS)
        return (DWORD)getpid();
    if ((e = mmf__w32_get(Process, W32_K(W32_PROCESS), &err)) == NULL) {
        mmf__w32_set_error(err);
        return 0;
    }
    pid = (DWORD)e->u.process->pid;
    mmf__w32_put(e);
    return pid;
}

void WINAPI ExitProcess(UINT uExitCode)
{
    exit((int)uExitCode);
}

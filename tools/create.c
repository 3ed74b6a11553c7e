/* SPDX-License-Identifier: MIT */
/*
 * create.c - `mmf create NAME --size N`: make a section and hold it open,
 * in the foreground until a stop signal, or (--detach) from a background
 * process whose pid is printed. As on Windows, a name lives only while a
 * handle to it is open, so the tool must stay to keep it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#ifndef _WIN32
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "port.h"
#include "tool.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

static void help_create(void)
{
    puts("usage: mmf create NAME --size N [--file PATH] [--mode 0640] [--global]\n"
         "                  [--reserve] [--large-pages] [--hold | --detach]\n"
         "\n"
         "Create the section NAME and hold it open. As on Windows, a name lives only\n"
         "while some process holds a handle to it, so `mmf create` must stay to keep\n"
         "it: by default it holds the handle in the foreground until interrupted\n"
         "(Ctrl-C, SIGTERM, SIGHUP), then closes it, and the name is gone unless\n"
         "another process holds it too. With --detach, a background process holds\n"
         "it and its pid is printed, alone on stdout (pid=$(mmf create ...\n"
         "--detach)); `kill PID` closes it.\n"
         "\n"
         "  --size N        size in bytes (K, M, G, T suffixes; rounded up to a page);\n"
         "                  with --file, 0 or absent means the file's size\n"
         "  --file PATH     back the section by this existing file (it grows to N)\n"
         "  --mode MODE     octal permission bits, e.g. 0640 (default 0600, owner only)\n"
         "  --global        put a name without prefix in Global\\ (all users)\n"
         "  --reserve       reserve, do not commit: memory is taken as pages are used\n"
         "  --large-pages   back it by huge pages (needs a hugetlbfs mount)\n"
         "  --hold          hold it in the foreground (the default)\n"
         "  --detach        hold it from a background process; print its pid\n"
         "                  (only the pid on stdout; what was created on stderr)\n"
         "\n"
         "Fails with exit 7 if the name exists (any type).");
}

/* Why `path` could not be found: its folder is missing (or is not a
 * folder), or just the file. */
static void say_missing(const char *name, const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    struct stat st;

    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (stat(dir, &st) != 0)
        warn(name, "the directory %s does not exist (for the file %s)", show(dir),
             show(path));
    else if (!S_ISDIR(st.st_mode))
        warn(name, "%s is not a directory (for the file %s)", show(dir), show(path));
    else
        warn(name, "the file %s does not exist (--file takes an existing file)",
             show(path));
}

/* What to create, from the command line. */
struct create_args {
    const char *name;
    const char *file;      /* --file, or NULL */
    uint64_t size;
    mmf_section_opts so;
    int detach;
};

/* --mode: octal permission bits 0001 .. 0777. */
static unsigned parse_mode(const char *s)
{
    char *end;
    long m;
    errno = 0;
    m = strtol(s, &end, 8);
    if (s[0] < '0' || s[0] > '7' || *end != '\0' || errno != 0 || m <= 0 || m > 0777)
        usage_error("bad mode '%s': give octal permission bits from 0001 to 0777, "
                    "e.g. 0640", show(s));
    return (unsigned)m;
}

static void parse_create(int argc, char **argv, struct create_args *a)
{
    struct opt opts[] = {{"--size", 1, NULL},   {"--file", 1, NULL},
                         {"--mode", 1, NULL},   {"--global", 0, NULL},
                         {"--reserve", 0, NULL}, {"--large-pages", 0, NULL},
                         {"--detach", 0, NULL}, {"--hold", 0, NULL},
                         {NULL, 0, NULL}};
    char *pos[1];

    memset(a, 0, sizeof *a);
    if (parse_opts(argc, argv, opts, pos, 1, help_create, NULL) != 1)
        usage_error("give one section name");
    a->name = pos[0];
    a->file = opts[1].value;
    a->detach = opts[6].value != NULL;
    if (opts[0].value)
        a->size = size_opt(&opts[0], "size");
    if (opts[0].value == NULL && opts[1].value == NULL)
        usage_error("give the size: --size N (e.g. --size 1M)");
    if (a->size == 0 && opts[1].value == NULL)
        usage_error("the size must be at least 1 byte");
    if (opts[2].value)
        a->so.mode = parse_mode(opts[2].value);
    if (opts[3].value) {
        a->so.flags |= MMF_GLOBAL;
        tool_global_default = 1;
    }
    if (opts[4].value)
        a->so.flags |= MMF_SECTION_RESERVE;
    if (opts[5].value)
        a->so.flags |= MMF_SECTION_LARGE_PAGES;
    if (opts[1].value && (opts[4].value || opts[5].value))
        usage_error("--reserve and --large-pages apply to memory-backed sections, "
                    "not to --file");
    if (a->detach && opts[7].value)
        usage_error("--hold and --detach exclude each other");
}

#ifndef _WIN32
/*
 * The parent of a detached holder: wait for the child to say whether it
 * made the section, then print its pid alone on stdout (for
 * pid=$(mmf create ... --detach)) and what was created on stderr.
 */
static int report_holder(const char *name, pid_t child, int from_child)
{
    mmf_object_info oi = {0};
    const char *full;
    int result = EX_ERROR;
    ssize_t r;
    char b[32];

    do {
        r = read(from_child, &result, sizeof result);
    } while (r < 0 && errno == EINTR);
    if (r != (ssize_t)sizeof result) {
        waitpid(child, NULL, 0);
        die(EX_ERROR, name, "the holder process failed to start");
    }
    if (result != 0) {
        waitpid(child, NULL, 0);
        exit(result); /* the child printed why */
    }
    full = canon(name);
    mmf_object_stat(full, 0, &oi);
    printf("%ld\n", (long)child);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        /* Nobody learnt the pid: no holder may stay unknown. */
        kill(child, SIGTERM);
        errno = e;
        stdout_failed(name, "; the holder was stopped");
    }
    fprintf(stderr, "created %s (%s); held by pid %ld until it is stopped (kill %ld)\n",
            show(full), human(oi.size, b, sizeof b), (long)child, (long)child);
    return EX_OK;
}
#endif

/* Create the section; on failure say why (naming the backing file when it
 * is the cause) and return the exit code. */
static int create_section(const struct create_args *a, mmf_section **s)
{
    int rc;

    if (a->file)
        rc = mmf_section_create_path(s, a->name, a->file, a->size, MMF_CREATE_NEW, &a->so);
    else
        rc = mmf_section_create(s, a->name, a->size, MMF_CREATE_NEW, &a->so);
    if (rc >= 0)
        return EX_OK;
    if (a->file && rc == MMF_ENOENT)
        say_missing(a->name, a->file);
    else if (a->file && (rc == MMF_EACCES || rc == MMF_EFILEEMPTY || rc == MMF_ENODEV))
        warn(a->name, "%s: %s", show(a->file), mmf_strerror(rc));
    else
        warn(a->name, "%s", mmf_strerror(rc));
    return exit_code(rc);
}

#ifndef _WIN32
/* The detached holder, once the section is made: tell the parent, let go
 * of the terminal and of the working folder, and hold until stopped. */
static void __attribute__((noreturn)) hold_detached(mmf_section *s, int to_parent)
{
    int zero = 0;
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        if (devnull > 2)
            close(devnull);
    }
    if (write(to_parent, &zero, sizeof zero) < 0)
        _exit(EX_ERROR);
    close(to_parent);
    /* Pin no folder (a mount could not be unmounted). */
    if (chdir("/") != 0)
        _exit(EX_ERROR);
    stop_wait(-1);
    mmf_section_close(s);
    _exit(EX_OK);
}
#endif

/* Hold in the foreground until a stop signal. */
static int hold_foreground(mmf_section *s, const char *file)
{
    mmf_section_info si;
    char b[32];

    mmf_section_stat(s, &si);
#ifdef SIGPIPE
    signal(SIGPIPE, SIG_IGN); /* a closed stdout must not skip the close */
#endif
    printf("created %s (%s%s%s); holding it until interrupted (Ctrl-C)\n", show(si.name),
           human(si.size, b, sizeof b), si.file_backed ? ", file " : "",
           si.file_backed ? show(file) : "");
    fflush(stdout);
    stop_wait(-1);
    mmf_section_close(s);
    printf("closed %s\n", show(si.name));
    return EX_OK;
}

int cmd_create(int argc, char **argv)
{
    struct create_args a;
    mmf_section *s;
    int code, pipefd[2] = {-1, -1};

    parse_create(argc, argv, &a);
#ifdef _WIN32
    if (a.detach)
        tool_unsupported(a.name, "--detach",
                         "a detached holder is a fork()ed process; run `mmf create` "
                         "in a console of its own instead (`start mmf create ...`)");
#else
    if (a.detach) {
        /* The holder is the child, which makes the section itself: a handle
         * made here and inherited would not be closed properly by it. */
        pid_t child;
        if (pipe(pipefd) != 0)
            die(EX_ERROR, a.name, "pipe: %s", strerror(errno));
        fflush(stdout);
        child = fork();
        if (child < 0)
            die(EX_ERROR, a.name, "fork: %s", strerror(errno));
        if (child > 0) {
            close(pipefd[1]);
            return report_holder(a.name, child, pipefd[0]);
        }
        close(pipefd[0]);
        setsid();
    }
#endif

    /* From here a stop request must close the handle, not kill us. */
    stop_hold();
    code = create_section(&a, &s);
    if (code != EX_OK) {
#ifndef _WIN32
        if (a.detach) {
            ssize_t w = write(pipefd[1], &code, sizeof code);
            (void)w; /* the parent reports a failure either way */
            _exit(code);
        }
#endif
        return code;
    }
#ifndef _WIN32
    if (a.detach)
        hold_detached(s, pipefd[1]);
#else
    (void)pipefd;
#endif
    return hold_foreground(s, a.file);
}

/*
 * A C program that loads plugins the way a plugin host does:
 * dlopen(RTLD_NOW | RTLD_LOCAL), so that every library keeps its symbols to
 * itself. `tests/copies.rs` compiles it with `cc` and gives it copies of
 * `tests/plugin` in distinct files: each is a copy of exit-attr of its own.
 *
 * Usage: dlopen_host [OPTION SIG]... (PATH NAME BEHAVIOUR)...
 *
 *   --older SIG           before loading anything, installs the host's own
 *                         handler for SIG (TERM, INT, HUP), which prints
 *                         `host handler ran for N` and returns.
 *   --newer SIG           after loading every plugin, installs a raw
 *                         sigaction handler for SIG that prints
 *                         `newer handler ran` and calls nothing else: it
 *                         owns the signal.
 *   --newer-chaining SIG  the same, but the handler then calls the one it
 *                         replaced (the newest plugin's), as signal-hook and
 *                         tokio do.
 *
 * Loads each PATH in order and calls its `plugin_init(NAME, BEHAVIOUR)`,
 * prints `ready`, then obeys one command per line on stdin, as the Rust
 * fixture does (tests/fixtures/commands.rs):
 *
 *   return  returns from main (also at the end of stdin)
 *   exit N  exit(N)
 *   fork    forks; the child prints `child ready` and pauses until a signal
 *           ends it; the parent prints `forked PID`, waits for the child and
 *           prints `child ended by signal N` or `child exited with N`
 *   unload  unloads every plugin (`dlclose`, once for each `dlopen`), as a
 *           host that is done with its plugins does, and prints `unloaded`
 *   unload-twice
 *           the same, but calls `dlclose` twice for each `dlopen`, as a
 *           host that releases a library once too often does (glibc then
 *           unloads it unless it is marked `RTLD_NODELETE`); each second
 *           call's result is ignored
 *
 * Everything is printed with write(2), unbuffered: a forked child inherits
 * no buffered output, and the signal handlers may print too.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int (*plugin_init_fn)(const char *name, const char *behaviour);

/* Async-signal-safe: one write(2) of the whole line. */
static void say_bytes(const char *line, size_t len) {
    while (len > 0) {
        ssize_t written = write(STDOUT_FILENO, line, len);
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        line += written;
        len -= (size_t)written;
    }
}

static void say(const char *line) {
    char buffer[256];
    size_t len = strlen(line);
    if (len >= sizeof buffer) {
        len = sizeof buffer - 1;
    }
    memcpy(buffer, line, len);
    buffer[len] = '\n';
    say_bytes(buffer, len + 1);
}

static void fail(const char *message) {
    fprintf(stderr, "dlopen_host: %s\n", message);
    exit(64);
}

static int parse_signal(const char *name) {
    if (strcmp(name, "TERM") == 0) {
        return SIGTERM;
    }
    if (strcmp(name, "INT") == 0) {
        return SIGINT;
    }
    if (strcmp(name, "HUP") == 0) {
        return SIGHUP;
    }
    fail("unknown signal name");
    return 0;
}

/* The host's own handler, installed before any plugin: it prints
 * `host handler ran for N` with write(2) (no printf in a signal handler). */
static void older_handler(int signal) {
    int saved_errno = errno;
    char line[64] = "host handler ran for ";
    size_t len = strlen(line);
    char digits[12];
    size_t count = 0;
    unsigned value = (unsigned)signal;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (count > 0) {
        line[len++] = digits[--count];
    }
    line[len++] = '\n';
    say_bytes(line, len);
    errno = saved_errno;
}

/* The action that the newer handler replaced, for --newer-chaining. */
static struct sigaction replaced;
static int chains;

/* A newer handler, which owns the signal: it prints its line, then, with
 * --newer-chaining, calls the handler it replaced with what it was given. */
static void newer_handler(int signal, siginfo_t *info, void *context) {
    static const char line[] = "newer handler ran\n";
    int saved_errno = errno;
    say_bytes(line, sizeof line - 1);
    if (chains) {
        if (replaced.sa_flags & SA_SIGINFO) {
            replaced.sa_sigaction(signal, info, context);
        } else if (replaced.sa_handler != SIG_DFL && replaced.sa_handler != SIG_IGN) {
            replaced.sa_handler(signal);
        }
    }
    errno = saved_errno;
}

static void install_older(int signal) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = older_handler;
    sigemptyset(&action.sa_mask);
    /* SA_RESTART: the main thread's read of stdin goes on after it. */
    action.sa_flags = SA_RESTART;
    if (sigaction(signal, &action, NULL) != 0) {
        fail("sigaction failed");
    }
}

static void install_newer(int signal) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = newer_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    if (sigaction(signal, &action, &replaced) != 0) {
        fail("sigaction failed");
    }
}

/* The handles of the loaded plugins, for `unload`. */
static void *loaded[16];
static size_t loaded_count;

static void load(const char *path, const char *name, const char *behaviour) {
    if (loaded_count == sizeof loaded / sizeof loaded[0]) {
        fail("too many plugins");
    }
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        fprintf(stderr, "dlopen_host: dlopen %s: %s\n", path, dlerror());
        exit(64);
    }
    plugin_init_fn init = (plugin_init_fn)dlsym(library, "plugin_init");
    if (init == NULL) {
        fprintf(stderr, "dlopen_host: no plugin_init in %s: %s\n", path, dlerror());
        exit(64);
    }
    if (init(name, behaviour) != 0) {
        fprintf(stderr, "dlopen_host: plugin_init(%s, %s) failed\n", name, behaviour);
        exit(64);
    }
    loaded[loaded_count++] = library;
}

/* `unload` (`times` 1) and `unload-twice` (2): the first `dlclose` of each
 * plugin must succeed; the result of any later one is ignored. */
static void unload(int times) {
    while (loaded_count > 0) {
        void *library = loaded[--loaded_count];
        if (dlclose(library) != 0) {
            fprintf(stderr, "dlopen_host: dlclose: %s\n", dlerror());
            exit(64);
        }
        for (int i = 1; i < times; i++) {
            dlclose(library);
        }
    }
    say("unloaded");
}

/* Reads one line from stdin with read(2), a byte at a time (no stdio
 * buffer for a forked child to inherit), retrying when a signal interrupts
 * it. Returns 0 at the end of stdin. */
static int read_line(char *line, size_t size) {
    size_t len = 0;
    for (;;) {
        char byte;
        ssize_t got = read(STDIN_FILENO, &byte, 1);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            if (len == 0) {
                return 0;
            }
            break;
        }
        if (byte == '\n') {
            break;
        }
        if (len + 1 < size) {
            line[len++] = byte;
        }
    }
    line[len] = '\0';
    return 1;
}

static void fork_child(void) {
    pid_t pid = fork();
    if (pid < 0) {
        fail("fork failed");
    }
    if (pid == 0) {
        say("child ready");
        for (;;) {
            pause();
        }
    }
    char line[64];
    snprintf(line, sizeof line, "forked %d", (int)pid);
    say(line);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fail("waitpid failed");
        }
    }
    if (WIFSIGNALED(status)) {
        snprintf(line, sizeof line, "child ended by signal %d", WTERMSIG(status));
    } else {
        snprintf(line, sizeof line, "child exited with %d", WEXITSTATUS(status));
    }
    say(line);
}

int main(int argc, char **argv) {
    int newer = 0;
    int arg = 1;
    for (; arg < argc && strncmp(argv[arg], "--", 2) == 0; arg += 2) {
        if (arg + 1 >= argc) {
            fail("an option needs a signal name");
        }
        if (strcmp(argv[arg], "--older") == 0) {
            install_older(parse_signal(argv[arg + 1]));
        } else if (strcmp(argv[arg], "--newer") == 0) {
            newer = parse_signal(argv[arg + 1]);
        } else if (strcmp(argv[arg], "--newer-chaining") == 0) {
            newer = parse_signal(argv[arg + 1]);
            chains = 1;
        } else {
            fail("unknown option");
        }
    }
    if ((argc - arg) % 3 != 0) {
        fail("plugins come as PATH NAME BEHAVIOUR");
    }
    for (; arg < argc; arg += 3) {
        load(argv[arg], argv[arg + 1], argv[arg + 2]);
    }
    if (newer != 0) {
        install_newer(newer);
    }
    say("ready");

    char line[128];
    while (read_line(line, sizeof line)) {
        if (strcmp(line, "return") == 0) {
            return 0;
        } else if (strncmp(line, "exit ", 5) == 0) {
            exit(atoi(line + 5));
        } else if (strcmp(line, "fork") == 0) {
            fork_child();
        } else if (strcmp(line, "unload") == 0) {
            unload(1);
        } else if (strcmp(line, "unload-twice") == 0) {
            unload(2);
        } else {
            fail("unknown command");
        }
    }
    return 0;
}

package dev.vmsup.supervisor.process;

import jnr.ffi.annotations.In;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc functions vmsup's own process calls, and no others: jnr-ffi binds just these (jnr-posix's whole binding
 * took ~170 ms of every start). Reached through {@link Posix}. Public because jnr-ffi generates its implementation
 * in a class loader of its own.
 */
public interface LibC {
    int SIG_BLOCK = 0;
    int SIG_UNBLOCK = 1;
    long SIG_DFL = 0;
    long SIG_IGN = 1;
    int SIGINT = 2;
    int SIGTERM = 15;
    /** glibc's sigset_t: 1024 bits. */
    int SIGSET_BYTES = 128;
    int F_SETFD = 2;
    int FD_CLOEXEC = 1;

    int pthread_sigmask(int how, byte[] set, byte[] oldSet);

    /** {@code sighandler_t signal(int, sighandler_t)}: only SIG_DFL and SIG_IGN are passed. */
    long signal(int sig, long handler);

    int umask(int mask);

    /** Only ever called with {@code F_SETFD}. */
    int fcntl(int fd, int cmd, int arg);

    int execve(CharSequence path, CharSequence[] argv, CharSequence[] envp);

    @ssize_t long write(int fd, @In byte[] buf, @size_t long count);

    int close(int fd);
}

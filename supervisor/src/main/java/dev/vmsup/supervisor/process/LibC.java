package dev.vmsup.supervisor.process;


/**
 * The few libc calls the JDK and jnr-posix do not offer: a thread's signal mask and a signal's disposition (bound by
 * jnr-ffi, which binds every method of this interface: helpers live in {@link Signals}). Public because jnr-ffi
 * generates its implementation in a class loader of its own.
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

    int pthread_sigmask(int how, byte[] set, byte[] oldSet);

    /** {@code sighandler_t signal(int, sighandler_t)}: only SIG_DFL and SIG_IGN are passed. */
    long signal(int sig, long handler);
}

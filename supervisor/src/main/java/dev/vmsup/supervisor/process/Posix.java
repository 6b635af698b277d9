package dev.vmsup.supervisor.process;

import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/** The few system calls of vmsup's own process (file mode mask, a descriptor's writes and close), bound on first use. */
public final class Posix {
    private static volatile LibC libc;

    private Posix() {
    }

    static LibC libc() {
        LibC l = libc;
        if (l == null) {
            synchronized (Posix.class) {
                if (libc == null) {
                    // the C library this process already runs on, from its global symbols: by the name "c",
                    // jnr-ffi lists the system's library directories and matches every file name against a regular
                    // expression (~5,000 on this machine kind) in each process image
                    libc = LibraryLoader.create(LibC.class).load("RTLD_DEFAULT");
                }
                l = libc;
            }
        }
        return l;
    }

    /**
     * Binds the calls of a running vmsup now, each with arguments that change nothing (fd -1, an empty mask change),
     * so that none pays for jnr-ffi's binding on the start path. Not execve and signal: only a re-execution needs
     * them, and binding execve starts a thread of jnr-ffi's for the native memory of its string arrays.
     */
    public static void bindNow() {
        LibC l = libc();
        l.pthread_sigmask(LibC.SIG_BLOCK, null, null);
        l.fcntl(-1, LibC.F_SETFD, 0);
        l.write(-1, new byte[0], 0);
        l.close(-1);
    }

    /** The errno of this thread's last call through {@link #libc()}. */
    static int errno() {
        return LastError.getLastError(Runtime.getRuntime(libc()));
    }

    /** Sets the process's file mode creation mask; returns the previous one. */
    public static int umask(int mask) {
        return libc().umask(mask);
    }

    /** Writes all of {@code bytes} to {@code fd}; returns 0, or the errno of the write that failed. */
    public static int writeAll(int fd, byte[] bytes) {
        int off = 0;
        while (off < bytes.length) {
            byte[] rest = off == 0 ? bytes : java.util.Arrays.copyOfRange(bytes, off, bytes.length);
            long n = libc().write(fd, rest, rest.length);
            if (n <= 0) {
                return n < 0 ? errno() : jnr.constants.platform.Errno.EIO.intValue();
            }
            off += (int) n;
        }
        return 0;
    }

    public static void close(int fd) {
        libc().close(fd);
    }
}

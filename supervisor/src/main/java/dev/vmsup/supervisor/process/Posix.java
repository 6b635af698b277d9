package dev.vmsup.supervisor.process;

import dev.vmsup.libc.LibC;

/** The few system calls of vmsup's own process (file mode mask, a descriptor's writes and close). */
public final class Posix {
    private Posix() {
    }

    /** The errno of this thread's last native call. */
    static int errno() {
        return LibC.errno();
    }

    /** Sets the process's file mode creation mask; returns the previous one. */
    public static int umask(int mask) {
        return LibC.umask(mask);
    }

    /** Writes all of {@code bytes} to {@code fd}; returns 0, or the errno of the write that failed. */
    public static int writeAll(int fd, byte[] bytes) {
        int off = 0;
        while (off < bytes.length) {
            long n = LibC.write(fd, bytes, off, bytes.length - off);
            if (n <= 0) {
                return n < 0 ? errno() : jnr.constants.platform.Errno.EIO.intValue();
            }
            off += (int) n;
        }
        return 0;
    }

    public static void close(int fd) {
        LibC.close(fd);
    }
}

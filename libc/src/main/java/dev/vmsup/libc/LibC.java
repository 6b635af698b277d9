package dev.vmsup.libc;

import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.Locale;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;

/**
 * The C library calls vmsup makes itself, bound directly through jffi (jnr-ffi's own back end): per function a
 * symbol address from the running process and a call context, nothing generated. Each method returns what the C
 * function returns; {@link #errno()} then gives the calling thread's errno of its last call here. Paths and strings
 * are NUL-terminated bytes ({@link #cString}). Linux on the architectures with the generic constants below (x86-64,
 * aarch64, and the others Linux gives the same values; not alpha, mips, parisc or sparc).
 */
public final class LibC {
    public static final int O_WRONLY = 01;
    public static final int O_TRUNC = 01000;
    public static final int O_CLOEXEC = 02000000;
    public static final int F_SETFD = 2;
    public static final int FD_CLOEXEC = 1;
    public static final int SIG_BLOCK = 0;
    public static final int SIG_UNBLOCK = 1;
    public static final long SIG_DFL = 0;
    public static final long SIG_IGN = 1;
    public static final int SIGINT = 2;
    public static final int SIGTERM = 15;
    /** glibc's sigset_t: 1024 bits. */
    public static final int SIGSET_BYTES = 128;

    private LibC() {
    }

    /**
     * Binds every function now (jffi's native part loaded, each symbol looked up), so that no later call pays for it;
     * a caller with a spare thread calls this there. Touches nothing in the process.
     */
    public static void bindNow() {
        Bound.load();
    }

    /** The errno of this thread's last call through this class. */
    public static int errno() {
        return LastError.getInstance().get();
    }

    /**
     * The encoding the JDK gives file names, program arguments and the environment of a process it starts
     * ({@code sun.jnu.encoding}), for {@link #cString}.
     */
    public static Charset jnuCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (IllegalArgumentException e) {
            return Charset.defaultCharset();
        }
    }

    /** {@code s} in {@code charset} with a NUL after it, as the kernel takes a path or a string. */
    public static byte[] cString(String s, Charset charset) {
        byte[] b = s.getBytes(charset);
        return Arrays.copyOf(b, b.length + 1);
    }

    public static int open(byte[] path, int flags, int mode) {
        long p = Bound.copyIn(terminated(path));
        try {
            return (int) Bound.INVOKER.invokeN3(Bound.OPEN.context, Bound.OPEN.address, p, flags, mode);
        } finally {
            Bound.MEMORY.freeMemory(p);
        }
    }

    /** write(2) of {@code length} bytes of {@code bytes} from {@code offset}; returns the count written or -1. */
    public static long write(int fd, byte[] bytes, int offset, int length) {
        if (offset < 0 || length < 0 || length > bytes.length - offset) {
            throw new IndexOutOfBoundsException("write of " + length + " bytes from " + offset + " of " + bytes.length);
        }
        long buf = Bound.MEMORY.allocateMemory(Math.max(length, 1), false);
        try {
            Bound.MEMORY.putByteArray(buf, bytes, offset, length);
            return Bound.INVOKER.invokeN3(Bound.WRITE.context, Bound.WRITE.address, fd, buf, length);
        } finally {
            Bound.MEMORY.freeMemory(buf);
        }
    }

    public static int close(int fd) {
        return Bound.INVOKER.invokeI1(Bound.CLOSE.context, Bound.CLOSE.address, fd);
    }

    public static int mkdir(byte[] path, int mode) {
        long p = Bound.copyIn(terminated(path));
        try {
            return (int) Bound.INVOKER.invokeN2(Bound.MKDIR.context, Bound.MKDIR.address, p, mode);
        } finally {
            Bound.MEMORY.freeMemory(p);
        }
    }

    public static int rmdir(byte[] path) {
        long p = Bound.copyIn(terminated(path));
        try {
            return (int) Bound.INVOKER.invokeN1(Bound.RMDIR.context, Bound.RMDIR.address, p);
        } finally {
            Bound.MEMORY.freeMemory(p);
        }
    }

    /** Sets the process's file mode creation mask; returns the previous one. */
    public static int umask(int mask) {
        return Bound.INVOKER.invokeI1(Bound.UMASK.context, Bound.UMASK.address, mask);
    }

    /** fcntl(2) with an int argument (F_SETFD and the like). */
    public static int fcntl(int fd, int cmd, int arg) {
        return Bound.INVOKER.invokeI3(Bound.FCNTL.context, Bound.FCNTL.address, fd, cmd, arg);
    }

    /** signal(2) with {@link #SIG_DFL} or {@link #SIG_IGN}; returns the previous handler (-1: SIG_ERR). */
    public static long signal(int sig, long handler) {
        if (handler != SIG_DFL && handler != SIG_IGN) {
            throw new IllegalArgumentException("only SIG_DFL and SIG_IGN can be installed from Java: " + handler);
        }
        return Bound.INVOKER.invokeN2(Bound.SIGNAL.context, Bound.SIGNAL.address, sig, handler);
    }

    /**
     * pthread_sigmask(3) for the calling thread; {@code set} and {@code oldSet} ({@link #SIGSET_BYTES} bytes each)
     * may be null. Returns 0 or an error number (not through errno).
     */
    public static int pthreadSigmask(int how, byte[] set, byte[] oldSet) {
        long in = set == null ? 0 : Bound.copyIn(sigset(set));
        long out = oldSet == null ? 0 : Bound.MEMORY.allocateMemory(sigset(oldSet).length, true);
        try {
            int r = (int) Bound.INVOKER.invokeN3(Bound.SIGMASK.context, Bound.SIGMASK.address, how, in, out);
            if (out != 0) {
                Bound.MEMORY.getByteArray(out, oldSet, 0, oldSet.length);
            }
            return r;
        } finally {
            Bound.MEMORY.freeMemory(in);
            Bound.MEMORY.freeMemory(out);
        }
    }

    /** A sigset_t holding {@code signals} (bit n-1 for signal n, little-endian words). */
    public static byte[] sigset(int... signals) {
        byte[] set = new byte[SIGSET_BYTES];
        for (int s : signals) {
            if (s < 1 || s > SIGSET_BYTES * 8) {
                throw new IllegalArgumentException("no signal " + s);
            }
            set[(s - 1) / 8] |= (byte) (1 << ((s - 1) % 8));
        }
        return set;
    }

    /**
     * execve(2): replaces this process's image. Returns only on failure (-1, see {@link #errno()}). Every string is
     * NUL-terminated bytes.
     */
    public static int execve(byte[] path, byte[][] argv, byte[][] envp) {
        terminated(path);
        for (byte[][] strings : new byte[][][] {argv, envp}) {
            for (byte[] s : strings) {
                terminated(s);
            }
        }
        // held: the path, argv's array, its strings, envp's array, its strings; all freed if execve returns
        long[] held = new long[3 + argv.length + envp.length];
        try {
            held[0] = Bound.copyIn(path);
            held[1] = pointerArray(argv, held, 2);
            int envAt = 2 + argv.length;
            held[envAt] = pointerArray(envp, held, envAt + 1);
            return (int) Bound.INVOKER.invokeN3(Bound.EXECVE.context, Bound.EXECVE.address, held[0], held[1],
                    held[envAt]);
        } finally {
            for (int i = 0; i < held.length; i++) {
                if (held[i] != 0) {
                    Bound.MEMORY.freeMemory(held[i]);
                }
            }
        }
    }

    /** A NULL-terminated char* array of {@code strings}, each copied to native memory recorded in held[from..]. */
    private static long pointerArray(byte[][] strings, long[] held, int from) {
        long slot = Type.POINTER.size();
        long array = Bound.MEMORY.allocateMemory(slot * (strings.length + 1), true);
        for (int i = 0; i < strings.length; i++) {
            held[from + i] = Bound.copyIn(strings[i]);
            Bound.MEMORY.putAddress(array + slot * i, held[from + i]);
        }
        return array;
    }

    private static byte[] terminated(byte[] s) {
        if (s.length == 0 || s[s.length - 1] != 0) {
            throw new IllegalArgumentException("not a C string (no NUL at its end): " + s.length + " bytes");
        }
        return s;
    }

    private static byte[] sigset(byte[] s) {
        if (s.length != SIGSET_BYTES) {
            throw new IllegalArgumentException("a sigset_t is " + SIGSET_BYTES + " bytes, not " + s.length);
        }
        return s;
    }

    /** A function of the running process: its address and how it is called. */
    private record Function(long address, CallContext context) {
        static Function of(String name, Type result, Type... params) {
            return variadic(name, params.length, result, params);
        }

        /** {@code fixed} of the parameters are declared; the rest are passed as a C variadic call passes them. */
        static Function variadic(String name, int fixed, Type result, Type... params) {
            long address = Library.getDefault().getSymbolAddress(name);
            if (address == 0) {
                throw new UnsatisfiedLinkError("libc has no " + name + ": " + Library.getLastError());
            }
            CallContext context = fixed == params.length
                    ? CallContext.getCallContext(result, params, CallingConvention.DEFAULT, true)
                    : CallContext.getCallContext(result, fixed, params, CallingConvention.DEFAULT, true);
            return new Function(address, context);
        }
    }

    /** Everything bound at once, the first time any call is made (class initialization: once, thread-safe). */
    private static final class Bound {
        static {
            String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
            if (!System.getProperty("os.name", "").equals("Linux")
                    || arch.matches("alpha.*|mips.*|parisc.*|hppa.*|sparc.*")) {
                throw new UnsupportedOperationException("vmsup's libc constants are Linux's generic ones; this is "
                        + System.getProperty("os.name") + " on " + arch);
            }
        }

        static final MemoryIO MEMORY = MemoryIO.getInstance();
        static final Function OPEN = Function.variadic("open", 2, Type.SINT, Type.POINTER, Type.SINT, Type.UINT);
        static final Function WRITE = Function.of("write", Type.SLONG, Type.SINT, Type.POINTER, Type.ULONG);
        static final Function CLOSE = Function.of("close", Type.SINT, Type.SINT);
        static final Function MKDIR = Function.of("mkdir", Type.SINT, Type.POINTER, Type.UINT);
        static final Function RMDIR = Function.of("rmdir", Type.SINT, Type.POINTER);
        static final Function UMASK = Function.of("umask", Type.UINT, Type.UINT);
        static final Function FCNTL = Function.variadic("fcntl", 2, Type.SINT, Type.SINT, Type.SINT, Type.SINT);
        static final Function SIGNAL = Function.of("signal", Type.POINTER, Type.SINT, Type.POINTER);
        static final Function SIGMASK = Function.of("pthread_sigmask", Type.SINT, Type.SINT, Type.POINTER,
                Type.POINTER);
        static final Function EXECVE = Function.of("execve", Type.SINT, Type.POINTER, Type.POINTER, Type.POINTER);
        static final Invoker INVOKER = Invoker.getInstance();

        private Bound() {
        }

        /** Initializes this class, which binds everything. */
        static void load() {
        }

        /** {@code bytes} in freshly allocated native memory (the caller frees it). */
        static long copyIn(byte[] bytes) {
            long p = MEMORY.allocateMemory(bytes.length, false);
            MEMORY.putByteArray(p, bytes, 0, bytes.length);
            return p;
        }
    }
}

package dev.vmsup.cgroupfs.internal;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.Errno;
import dev.vmsup.libc.LibC;

/**
 * Reads and writes cgroupfs control files with the kernel's errno kept: writes, mkdir and rmdir go
 * through the C library ({@link LibC}) so that EBUSY, ENOSPC, EINVAL, ESRCH and EOPNOTSUPP reach the caller exactly.
 * Shared by the v1 and v2 implementations; every failure is a {@link CgroupException}.
 */
public final class CgroupFiles {
    private static final int WRITE_FLAGS = LibC.O_WRONLY | LibC.O_TRUNC | LibC.O_CLOEXEC;

    private static final Charset FILE_NAMES = LibC.jnuCharset();

    private CgroupFiles() {
    }

    /**
     * The path as the kernel takes it: its bytes in the encoding the JDK gives file names ({@code sun.jnu.encoding})
     * and a NUL.
     */
    static byte[] cString(Path path) {
        return LibC.cString(path.toString(), FILE_NAMES);
    }

    /** The errno of this thread's last call through {@link LibC}. */
    private static Errno errno() {
        return Errno.of(LibC.errno());
    }

    /** Writes {@code value} in one write(2), as cgroupfs expects. */
    public static void write(Path file, String value) {
        Errno errno = tryWrite(file, value);
        if (errno != null) {
            throw new CgroupException("write", file, value, errno, null);
        }
    }

    /** Writes {@code value}; returns null on success or the errno the kernel answered. */
    public static Errno tryWrite(Path file, String value) {
        int fd = LibC.open(cString(file), WRITE_FLAGS, 0);
        if (fd < 0) {
            return errno();
        }
        try {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            long n = LibC.write(fd, bytes, 0, bytes.length);
            if (n < 0) {
                return errno();
            }
            return n == bytes.length ? null : Errno.EINVAL;
        } finally {
            LibC.close(fd);
        }
    }

    /** Creates one directory; true if created, false if it already existed. */
    public static boolean mkdir(Path dir) {
        if (LibC.mkdir(cString(dir), 0755) == 0) {
            return true;
        }
        Errno errno = errno();
        if (errno == Errno.EEXIST && Files.isDirectory(dir)) {
            return false;
        }
        throw new CgroupException("mkdir", dir, null, errno, null);
    }

    /** Removes one (cgroup) directory; returns null on success or the errno. */
    public static Errno rmdir(Path dir) {
        return LibC.rmdir(cString(dir)) == 0 ? null : errno();
    }

    public static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CgroupException("read", file, null, errnoOf(e), null, e);
        }
    }

    /** Reads a file of one number a line ({@code cgroup.procs}, {@code tasks}, {@code cgroup.threads}). */
    public static List<Integer> readIds(Path file) {
        List<Integer> ids = new ArrayList<>();
        for (String line : read(file).split("\n")) {
            if (!line.isBlank()) {
                ids.add(Integer.parseInt(line.strip()));
            }
        }
        return ids;
    }

    /** Reads a flat-keyed file such as {@code cpu.stat} or {@code memory.stat} ("key value" a line). */
    public static Map<String, Long> readKeyed(Path file) {
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : read(file).split("\n")) {
            // "key value" lines, split by hand: a regular expression per line was most of what a usage sample cost
            String l = line.strip();
            int gap = firstBlank(l);
            String value = gap < 0 ? "" : l.substring(gap).strip();
            if (gap > 0 && !value.isEmpty() && firstBlank(value) < 0) {
                try {
                    values.put(l.substring(0, gap), Long.parseLong(value));
                } catch (NumberFormatException ignored) {
                    // non-numeric entries carry nothing this library reports
                }
            }
        }
        return values;
    }

    private static int firstBlank(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    /** Reads a file holding one number, or "max" (returned as -1). */
    public static long readLong(Path file) {
        String s = read(file).strip();
        if (s.equals("max")) {
            return -1;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new CgroupException("read", file, null, Errno.EINVAL, "not a number: '" + s + "'", e);
        }
    }

    /** Best mapping of a JDK I/O exception to an errno (reads only; writes use the errno directly). */
    static Errno errnoOf(IOException e) {
        if (e instanceof NoSuchFileException) {
            return Errno.ENOENT;
        }
        if (e instanceof AccessDeniedException) {
            return Errno.EACCES;
        }
        if (e instanceof NotDirectoryException) {
            return Errno.ENOTDIR;
        }
        String reason = e instanceof FileSystemException fse ? fse.getReason() : e.getMessage();
        reason = reason == null ? "" : reason.toLowerCase(Locale.ROOT);
        for (Errno errno : Errno.values()) {
            if (!reason.isEmpty() && reason.contains(errno.meaning())) {
                return errno;
            }
        }
        if (reason.contains("no such process")) {
            return Errno.ESRCH;
        }
        return Errno.UNKNOWN;
    }
}

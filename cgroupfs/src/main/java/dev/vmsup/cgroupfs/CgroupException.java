package dev.vmsup.cgroupfs;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A cgroup operation the kernel (or the filesystem) refused. Carries the file, the value that was
 * written (if any), the errno and, where the kernel's refusal has a known cause, a hint saying it.
 */
public class CgroupException extends RuntimeException {
    private final String operation;
    private final Path file;
    private final String value;
    private final Errno errno;
    private final String hint;

    public CgroupException(String operation, Path file, String value, Errno errno, String hint, Throwable cause) {
        super(format(operation, file, value, errno, hint), cause);
        this.operation = Objects.requireNonNull(operation);
        this.file = file;
        this.value = value;
        this.errno = Objects.requireNonNull(errno);
        this.hint = hint;
    }

    public CgroupException(String operation, Path file, String value, Errno errno, String hint) {
        this(operation, file, value, errno, hint, null);
    }

    private static String format(String operation, Path file, String value, Errno errno, String hint) {
        StringBuilder sb = new StringBuilder(operation);
        if (value != null) {
            sb.append(" '").append(value.strip()).append('\'');
        }
        if (file != null) {
            sb.append(value != null ? " to " : " ").append(file);
        }
        sb.append(" failed: ").append(errno.name()).append(" (").append(errno.meaning()).append(')');
        if (hint != null) {
            sb.append(": ").append(hint);
        }
        return sb.toString();
    }

    /** What was attempted: "write", "read", "mkdir", "rmdir". */
    public String operation() {
        return operation;
    }

    /** The file or directory the operation was on. */
    public Path file() {
        return file;
    }

    /** The value written, or null for operations that write nothing. */
    public String value() {
        return value;
    }

    public Errno errno() {
        return errno;
    }

    /** The known cause of this refusal, or null. */
    public String hint() {
        return hint;
    }

    /** True if {@code e} or one of its causes is a CgroupException with {@code errno}. */
    public static boolean causedBy(Throwable e, Errno errno) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CgroupException c && c.errno() == errno) {
                return true;
            }
        }
        return false;
    }
}

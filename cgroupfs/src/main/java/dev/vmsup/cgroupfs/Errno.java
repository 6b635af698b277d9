package dev.vmsup.cgroupfs;

/** The errno values a cgroup operation can end with, named as the kernel names them. */
public enum Errno {
    EPERM(1, "operation not permitted"),
    ENOENT(2, "no such file or directory"),
    ESRCH(3, "no such process or thread"),
    EINTR(4, "interrupted system call"),
    EIO(5, "input/output error"),
    EAGAIN(11, "resource temporarily unavailable"),
    ENOMEM(12, "cannot allocate memory"),
    EACCES(13, "permission denied"),
    EBUSY(16, "device or resource busy"),
    EEXIST(17, "file exists"),
    ENOTDIR(20, "not a directory"),
    EINVAL(22, "invalid argument"),
    ENOSPC(28, "no space left on device"),
    EROFS(30, "read-only file system"),
    ERANGE(34, "numerical result out of range"),
    ENOTEMPTY(39, "directory not empty"),
    EOPNOTSUPP(95, "operation not supported"),
    UNKNOWN(-1, "unknown error");

    private final int code;
    private final String meaning;

    Errno(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    public int code() {
        return code;
    }

    public String meaning() {
        return meaning;
    }

    /** Maps a Linux errno number; numbers this library does not name map to {@link #UNKNOWN}. */
    public static Errno of(int code) {
        for (Errno e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        return UNKNOWN;
    }
}

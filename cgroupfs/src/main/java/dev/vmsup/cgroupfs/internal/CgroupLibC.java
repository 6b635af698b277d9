package dev.vmsup.cgroupfs.internal;

import jnr.ffi.annotations.In;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The five libc functions through which cgroupfs writes, so that the kernel's errno reaches the caller exactly; jnr-ffi
 * binds just these. Paths are NUL-terminated bytes ({@link CgroupFiles#cString}): jnr-ffi's own conversion of a
 * CharSequence (a charset encoder per call) was a tenth of a cgroup write's cost. Public because jnr-ffi generates its
 * implementation in a class loader of its own.
 */
public interface CgroupLibC {
    int open(@In byte[] path, int flags, int mode);

    @ssize_t long write(int fd, @In byte[] buf, @size_t long count);

    int close(int fd);

    int mkdir(@In byte[] path, int mode);

    int rmdir(@In byte[] path);
}

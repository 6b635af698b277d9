package dev.vmsup.cgroupfs.internal;

import java.nio.file.Path;
import java.util.function.BiFunction;

import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.Errno;
import dev.vmsup.cgroupfs.InvalidResourceException;
import dev.vmsup.cgroupfs.Placement;

/**
 * Writes one task id into a placement file ({@code cgroup.procs}, {@code tasks}, {@code cgroup.threads}) with
 * the rules both versions share: transient EINVAL retried, ESRCH reported as {@link Placement#GONE}, any other
 * refusal thrown with the version's explanation of it.
 */
public final class TaskMover {
    private TaskMover() {
    }

    /**
     * @param explain gives the hint for a refusal (file, errno), or null when there is nothing to add
     */
    public static Placement move(Path file, int id, Backoff backoff, BiFunction<Path, Errno, String> explain) {
        if (id <= 0) {
            throw new InvalidResourceException("task id", id, "must be positive");
        }
        String value = Integer.toString(id);
        Errno errno = null;
        for (int attempt = 1; attempt <= backoff.attempts(); attempt++) {
            Backoff.sleep(backoff.delayBefore(attempt));
            errno = CgroupFiles.tryWrite(file, value);
            if (errno == null) {
                return Placement.MOVED;
            }
            if (errno == Errno.ESRCH) {
                return Placement.GONE;
            }
            if (errno != Errno.EINVAL) {
                break;
            }
        }
        throw new CgroupException("write", file, value, errno, explain.apply(file, errno));
    }

    /**
     * Moves every id listed in {@code source} into {@code target} one by one (used to empty a cgroup before
     * rmdir); ids that exit meanwhile (ESRCH) are skipped.
     */
    public static void moveRemaining(Path source, Path target) {
        for (int id : CgroupFiles.readIds(source)) {
            String value = Integer.toString(id);
            Errno errno = CgroupFiles.tryWrite(target, value);
            if (errno != null && errno != Errno.ESRCH) {
                throw new CgroupException("write", target, value, errno, "moving a remaining task out of " + source.getParent());
            }
        }
    }
}

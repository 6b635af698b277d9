package dev.vmsup.cgroupfs.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.DeleteReport;
import dev.vmsup.cgroupfs.Errno;

/**
 * Removes one cgroup directory tree deepest first, as both versions need: before each rmdir the
 * version-specific {@link Evacuator} moves the remaining tasks to the parent, and EBUSY is retried with
 * backoff (tasks may still be exiting). Never touches anything above the top directory.
 */
public final class SubtreeRemover {
    /** Moves what is left in {@code dir} into {@code parentDir}. */
    @FunctionalInterface
    public interface Evacuator {
        void evacuate(Path dir, Path parentDir);
    }

    private SubtreeRemover() {
    }

    public static DeleteReport remove(Path mount, CgroupPath top, Evacuator evacuator, Backoff backoff) {
        List<CgroupPath> removed = new ArrayList<>();
        List<DeleteReport.Failure> failures = new ArrayList<>();
        Path topDir = MountDirs.resolveInside(mount, top);
        if (top.isRoot()) {
            throw new IllegalArgumentException("refusing to delete the root cgroup of " + mount);
        }
        removeTree(top, topDir, evacuator, backoff, removed, failures);
        return new DeleteReport(removed, failures);
    }

    private static boolean removeTree(CgroupPath path, Path dir, Evacuator evacuator, Backoff backoff,
            List<CgroupPath> removed, List<DeleteReport.Failure> failures) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        boolean childrenGone = true;
        for (String child : childDirectories(dir)) {
            childrenGone &= removeTree(path.child(child), dir.resolve(child), evacuator, backoff, removed, failures);
        }
        if (!childrenGone) {
            failures.add(new DeleteReport.Failure(path, new CgroupException("rmdir", dir, null, Errno.EBUSY,
                    "a child cgroup could not be removed")));
            return false;
        }
        CgroupException last = null;
        for (int attempt = 1; attempt <= backoff.attempts(); attempt++) {
            Backoff.sleep(backoff.delayBefore(attempt));
            try {
                evacuator.evacuate(dir, dir.getParent());
            } catch (CgroupException e) {
                last = e;
            }
            Errno errno = CgroupFiles.rmdir(dir);
            if (errno == null || errno == Errno.ENOENT) {
                removed.add(path);
                return true;
            }
            String hint = errno == Errno.EBUSY ? "tasks still inside after moving them to the parent" : null;
            last = new CgroupException("rmdir", dir, null, errno, hint, last);
            if (errno != Errno.EBUSY) {
                break;
            }
        }
        failures.add(new DeleteReport.Failure(path, last));
        return false;
    }

    /**
     * Names of the child directories (child cgroups); control files are not directories. None when {@code dir} is gone
     * (removed meanwhile by someone else: systemd trims an emptied scope's subtree while vmsup removes it too).
     */
    public static List<String> childDirectories(Path dir) {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path e : entries) {
                if (Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS)) {
                    names.add(e.getFileName().toString());
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new CgroupException("list", dir, null, CgroupFiles.errnoOf(e), null, e);
        }
        return names;
    }
}

package dev.vmsup.cgroupfs.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.InvalidCgroupPathException;

/** Maps a {@link CgroupPath} to its directory under a hierarchy's mount, refusing anything that escapes it. */
public final class MountDirs {
    private MountDirs() {
    }

    /**
     * The directory of {@code path} under {@code mount}. The deepest part of it that exists is resolved
     * through symlinks and must still lie inside the mount; any symlink on the way is refused.
     */
    public static Path resolveInside(Path mount, CgroupPath path) {
        Path dir = path.isRoot() ? mount : mount.resolve(path.relative());
        Path mountReal;
        try {
            mountReal = mount.toRealPath();
        } catch (IOException e) {
            throw new CgroupException("resolve", mount, null, CgroupFiles.errnoOf(e), "hierarchy mount is not usable", e);
        }
        Path cursor = mount;
        for (String component : path.components()) {
            cursor = cursor.resolve(component);
            if (Files.isSymbolicLink(cursor)) {
                throw new InvalidCgroupPathException(path.toString(), cursor + " is a symlink (cgroup paths never are)");
            }
            if (!Files.exists(cursor, LinkOption.NOFOLLOW_LINKS)) {
                break;
            }
            if (!Files.isDirectory(cursor, LinkOption.NOFOLLOW_LINKS)) {
                throw new InvalidCgroupPathException(path.toString(), cursor + " exists and is not a directory");
            }
            try {
                if (!cursor.toRealPath().startsWith(mountReal)) {
                    throw new InvalidCgroupPathException(path.toString(), "resolves outside the mount " + mount);
                }
            } catch (NoSuchFileException e) {
                // removed since it was seen (systemd trims a scope's subtree once the scope is empty, while vmsup
                // removes the same cgroups): from here on nothing exists, as if the check above had found it gone
                break;
            } catch (IOException e) {
                throw new CgroupException("resolve", cursor, null, CgroupFiles.errnoOf(e), null, e);
            }
        }
        return dir;
    }
}

package dev.vmsup.cgroupfs.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

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
            // one lstat per component, so that a directory removed meanwhile (systemd trims an emptied scope's
            // subtree while vmsup removes the same cgroups) reads as gone rather than as something else
            BasicFileAttributes attrs;
            try {
                attrs = Files.readAttributes(cursor, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                break; // gone, or not there to be seen: from here on nothing exists
            }
            if (attrs.isSymbolicLink()) {
                throw new InvalidCgroupPathException(path.toString(), cursor + " is a symlink (cgroup paths never are)");
            }
            if (!attrs.isDirectory()) {
                throw new InvalidCgroupPathException(path.toString(), cursor + " exists and is not a directory");
            }
            try {
                if (!cursor.toRealPath().startsWith(mountReal)) {
                    throw new InvalidCgroupPathException(path.toString(), "resolves outside the mount " + mount);
                }
            } catch (NoSuchFileException e) {
                break; // removed since it was seen
            } catch (IOException e) {
                throw new CgroupException("resolve", cursor, null, CgroupFiles.errnoOf(e), null, e);
            }
        }
        return dir;
    }
}

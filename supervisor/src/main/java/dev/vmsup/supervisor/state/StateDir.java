package dev.vmsup.supervisor.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.vmsup.supervisor.SupervisorException;





/**
 * One sandbox's state directory: the state file and the lock that makes one vmsup the sandbox's only owner. An
 * existing directory is trusted only if it is a real directory (not a link), owned by root or vmsup's own user,
 * with no permission for group or others; a missing one is created with mode 0700 (and removed at the end if
 * empty). Nothing in it is opened through a link.
 */
public final class StateDir {
    private static final Logger LOG = LoggerFactory.getLogger(StateDir.class);
    static final String LOCK = "lock";

    private final Path dir;
    private boolean created;
    private FileChannel lockChannel;
    private StateFile current;

    private StateDir(Path dir, boolean created) {
        this.dir = dir;
        this.created = created;
    }

    /** Uses {@code dir} after checking it, or creates it (mode 0700). */
    public static StateDir open(Path dir) {
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return new StateDir(checked(dir), false);
        }
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            return new StateDir(checked(dir), true);
        } catch (IOException e) {
            throw new SupervisorException("cannot create state dir " + dir, e);
        }
    }

    /** {@code dir} after checking it, or null if it does not exist. */
    public static StateDir existing(Path dir) {
        return Files.exists(dir, LinkOption.NOFOLLOW_LINKS) ? new StateDir(checked(dir), false) : null;
    }

    /** Refuses a directory anyone but root or vmsup's user could have written to, or a link. */
    private static Path checked(Path dir) {
        try {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new SupervisorException("state dir " + dir + " is not a directory (a link or a file): refusing it");
            }
            int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (owner != 0 && owner != self) {
                throw new SupervisorException("state dir " + dir + " is owned by uid " + owner
                        + ": refusing it (it must belong to root or vmsup's user, mode 0700)");
            }
            if ((mode & 0077) != 0) {
                throw new SupervisorException("state dir " + dir + " has mode " + Integer.toOctalString(mode & 07777)
                        + ": refusing it (group and others must have no access: 0700)");
            }
            return dir;
        } catch (IOException e) {
            throw new SupervisorException("cannot check state dir " + dir, e);
        }
    }

    /** The directory was made for this sandbox by a supervisor that died: remove it at the end as if made here. */
    public void adoptCreated() {
        created = true;
    }

    public Path path() {
        return dir;
    }

    /** True if {@link #open} made the directory. */
    public boolean created() {
        return created;
    }

    /**
     * Takes the sandbox's lock ({@code <dir>/lock}), held until {@link #remove} or the process ends, so two vmsup
     * never own one sandbox. Fails at once if another process holds it.
     */
    public void lock() {
        if (!tryLock()) {
            throw new SupervisorException("sandbox state dir " + dir + " is locked by another vmsup (" + dir.resolve(LOCK)
                    + "): it runs this sandbox");
        }
    }

    /** As {@link #lock}, but false when another process holds the lock. */
    public boolean tryLock() {
        Path file = dir.resolve(LOCK);
        try {
            FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this JVM holds it already
            }
            if (lock == null) {
                ch.close();
                return false;
            }
            lockChannel = ch;
            return true;
        } catch (IOException e) {
            throw new SupervisorException("cannot lock " + file, e);
        }
    }

    /** The lock file ({@link #lock}): its descriptor must outlive a re-exec of this process. */
    public Path lockFile() {
        return dir.resolve(LOCK).toAbsolutePath().normalize();
    }

    /** The state file, or null when there is none. */
    public StateFile read() {
        return StateFile.read(dir);
    }

    /** The state last recorded by this object, or null. */
    public StateFile current() {
        return current;
    }

    /** Records {@code next} (atomically replacing the state file). */
    public void record(StateFile next) {
        next.write(dir);
        current = next;
    }

    /** Moves an unreadable state file aside (kept for a person to read) and says where. */
    public Path setAsideUnreadable() {
        Path aside = dir.resolve(StateFile.NAME + ".unreadable-" + System.currentTimeMillis());
        try {
            Files.move(StateFile.path(dir), aside, LinkOption.NOFOLLOW_LINKS);
            return aside;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new SupervisorException("cannot move " + StateFile.path(dir) + " aside", e);
        }
    }

    /**
     * Removes the state file this object recorded (never one it only found) and the lock file, releases the lock,
     * and removes the directory if it was made for this sandbox ({@code dirCreated}) and is empty.
     */
    public void remove(boolean dirCreated) {
        if (current != null) {
            StateFile.delete(dir);
        }
        try {
            Files.deleteIfExists(dir.resolve(LOCK));
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", dir.resolve(LOCK), e.getMessage());
        }
        unlock();
        if (dirCreated) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                LOG.info("{} kept: {}", dir, e.getClass().getSimpleName());
            }
        }
    }

    /** As {@link #remove(boolean)} for the directory this object opened or made. */
    public void remove() {
        remove(created);
    }

    /** Releases the lock (the lock file stays). */
    public void unlock() {
        if (lockChannel != null) {
            try {
                lockChannel.close();
            } catch (IOException e) {
                LOG.warn("releasing {}: {}", dir.resolve(LOCK), e.getMessage());
            }
            lockChannel = null;
        }
    }
}

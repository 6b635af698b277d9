package dev.vmsup.supervisor.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.supervisor.SupervisorException;


/**
 * One sandbox's state directory and the state file in it. The directory is created with mode 0700 when missing,
 * and then removed at the end if empty (a serial log the user asked for there keeps it).
 */
public final class StateDir {
    private static final Logger LOG = LoggerFactory.getLogger(StateDir.class);

    private final Path dir;
    private final boolean created;
    private StateFile current;

    private StateDir(Path dir, boolean created) {
        this.dir = dir;
        this.created = created;
    }

    /** Uses {@code dir}, creating it (mode 0700) unless it exists. */
    public static StateDir open(Path dir) {
        try {
            if (Files.isDirectory(dir)) {
                return new StateDir(dir, false);
            }
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            return new StateDir(dir, true);
        } catch (IOException e) {
            throw new SupervisorException("cannot create state dir " + dir, e);
        }
    }

    public Path path() {
        return dir;
    }

    /** True if {@link #open} made the directory. */
    public boolean created() {
        return created;
    }

    /** The state last recorded, or null. */
    public StateFile current() {
        return current;
    }

    /** Records {@code next} (atomically replacing the state file). */
    public void record(StateFile next) {
        next.write(dir);
        current = next;
    }

    /** Removes the state file, then the directory if this object made it and it is empty. */
    public void remove() {
        StateFile.delete(dir);
        removeIfCreated();
    }

    /** Removes the directory if this object made it and it is empty. */
    public void removeIfCreated() {
        if (!created) {
            return;
        }
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            LOG.info("{} kept: {}", dir, e.getClass().getSimpleName());
        }
    }
}

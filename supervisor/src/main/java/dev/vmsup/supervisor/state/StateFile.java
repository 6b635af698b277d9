package dev.vmsup.supervisor.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vmsup.supervisor.SupervisorException;





/**
 * What a supervisor created for one sandbox, kept in {@code <state dir>/state.json} so that {@code vmsup cleanup}
 * (or the next {@code vmsup run} with the same id) can remove it after the supervisor died: its own identity, the
 * processes it started (pid, start time, name), the cgroups it created or is about to create (not those it only
 * loaded, which are recorded as roots), and its sockets. Written before each side effect it records, atomically
 * (a new temp file never followed through a link, fsync, rename), mode 0600; read without following links.
 *
 * @param cgroupRoots  the parent and overhead root: the recorded cgroups must lie directly under one of them
 * @param systemdScope the transient scope unit systemd made for the sandbox, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StateFile(
        @JsonProperty("id") String id,
        @JsonProperty("supervisor") ProcessIdentity supervisor,
        @JsonProperty("qemu") ProcessIdentity qemu,
        @JsonProperty("virtiofsd") ProcessIdentity virtiofsd,
        @JsonProperty("hierarchy") String hierarchy,
        @JsonProperty("v1_controllers") List<String> v1Controllers,
        @JsonProperty("cgroup_roots") List<String> cgroupRoots,
        @JsonProperty("cgroups") List<String> cgroups,
        @JsonProperty("files") List<String> files,
        @JsonProperty("state_dir_created") boolean stateDirCreated,
        @JsonProperty("systemd_scope") String systemdScope) {

    public static final String NAME = "state.json";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public StateFile {
        v1Controllers = v1Controllers == null ? List.of() : List.copyOf(v1Controllers);
        cgroupRoots = cgroupRoots == null ? List.of() : List.copyOf(cgroupRoots);
        cgroups = cgroups == null ? List.of() : List.copyOf(cgroups);
        files = files == null ? List.of() : List.copyOf(files);
    }

    public StateFile withQemu(ProcessIdentity value) {
        return new StateFile(id, supervisor, value, virtiofsd, hierarchy, v1Controllers, cgroupRoots, cgroups, files,
                stateDirCreated, systemdScope);
    }

    public StateFile withVirtiofsd(ProcessIdentity value) {
        return new StateFile(id, supervisor, qemu, value, hierarchy, v1Controllers, cgroupRoots, cgroups, files,
                stateDirCreated, systemdScope);
    }

    public static Path path(Path stateDir) {
        return stateDir.resolve(NAME);
    }

    /** The state file in {@code stateDir}, or null if there is none; a link in its place is unreadable. */
    public static StateFile read(Path stateDir) {
        try (SeekableByteChannel ch = Files.newByteChannel(path(stateDir), Set.of(StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS))) {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(ch.size(), 1 << 20));
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // read it all (a state file is small; more than 1 MiB is not ours)
            }
            return MAPPER.readValue(buf.array(), 0, buf.position(), StateFile.class);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UnreadableStateException(path(stateDir), e);
        }
    }

    /** Replaces the state file atomically (a reader sees the old or the new content, never a mix). */
    public void write(Path stateDir) {
        Path target = path(stateDir);
        Path temp = stateDir.resolve(NAME + ".tmp");
        try {
            byte[] json = MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
            Files.deleteIfExists(temp); // a leftover, or a link someone put there: removed, never followed
            try (FileChannel ch = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")))) {
                ch.write(ByteBuffer.wrap(json));
                ch.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new SupervisorException("cannot write state file " + target, e);
        }
    }

    public static void delete(Path stateDir) {
        try {
            Files.deleteIfExists(path(stateDir));
            Files.deleteIfExists(stateDir.resolve(NAME + ".tmp"));
        } catch (IOException e) {
            throw new SupervisorException("cannot remove state file " + path(stateDir), e);
        }
    }

    /** The state file exists but cannot be read or parsed. */
    public static final class UnreadableStateException extends SupervisorException {
        UnreadableStateException(Path file, IOException cause) {
            super("state file " + file + " is unreadable", cause);
        }
    }
}

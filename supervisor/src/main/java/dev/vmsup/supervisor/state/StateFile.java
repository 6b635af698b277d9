package dev.vmsup.supervisor.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.vmsup.supervisor.SupervisorException;

/**
 * What a supervisor created for one sandbox, kept in {@code <state dir>/state.json} so that {@code vmsup cleanup}
 * (or the next {@code vmsup run} with the same id) can remove it after the supervisor died: its own identity, the
 * processes it started (pid + start time), the cgroups it created (not those it only loaded) and the files.
 * Written atomically: temp file, fsync, rename.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StateFile(
        @JsonProperty("id") String id,
        @JsonProperty("supervisor") ProcessIdentity supervisor,
        @JsonProperty("qemu") ProcessIdentity qemu,
        @JsonProperty("virtiofsd") ProcessIdentity virtiofsd,
        @JsonProperty("hierarchy") String hierarchy,
        @JsonProperty("v1_controllers") List<String> v1Controllers,
        @JsonProperty("cgroups") List<String> cgroups,
        @JsonProperty("files") List<String> files,
        @JsonProperty("state_dir_created") boolean stateDirCreated) {

    public static final String NAME = "state.json";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public StateFile {
        v1Controllers = v1Controllers == null ? List.of() : List.copyOf(v1Controllers);
        cgroups = cgroups == null ? List.of() : List.copyOf(cgroups);
        files = files == null ? List.of() : List.copyOf(files);
    }

    public StateFile withQemu(ProcessIdentity value) {
        return new StateFile(id, supervisor, value, virtiofsd, hierarchy, v1Controllers, cgroups, files, stateDirCreated);
    }

    public StateFile withVirtiofsd(ProcessIdentity value) {
        return new StateFile(id, supervisor, qemu, value, hierarchy, v1Controllers, cgroups, files, stateDirCreated);
    }

    public static Path path(Path stateDir) {
        return stateDir.resolve(NAME);
    }

    /** The state file in {@code stateDir}, or null if there is none. */
    public static StateFile read(Path stateDir) {
        try {
            return MAPPER.readValue(Files.readAllBytes(path(stateDir)), StateFile.class);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new SupervisorException("state file " + path(stateDir) + " is unreadable", e);
        }
    }

    /** Replaces the state file atomically (a reader sees the old or the new content, never a mix). */
    public void write(Path stateDir) {
        Path target = path(stateDir);
        Path temp = stateDir.resolve(NAME + ".tmp");
        try {
            byte[] json = MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
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
}

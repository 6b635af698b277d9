package dev.vmsup.supervisor.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.vmsup.json.JsonTrees;
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
public record StateFile(
        String id,
        ProcessIdentity supervisor,
        ProcessIdentity qemu,
        ProcessIdentity virtiofsd,
        String hierarchy,
        List<String> v1Controllers,
        List<String> cgroupRoots,
        List<String> cgroups,
        List<String> files,
        boolean stateDirCreated,
        String systemdScope) {

    public static final String NAME = "state.json";

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
            return parse(JsonTrees.read(buf.array(), 0, buf.position()));
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
            byte[] json = JsonTrees.writePretty(toJson()).getBytes(StandardCharsets.UTF_8);
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

    /** This state as the file holds it: snake_case names, every field written (null where there is none). */
    ObjectNode toJson() {
        ObjectNode o = JsonTrees.object();
        o.put("id", id);
        o.set("supervisor", identityJson(supervisor));
        o.set("qemu", identityJson(qemu));
        o.set("virtiofsd", identityJson(virtiofsd));
        o.put("hierarchy", hierarchy);
        o.set("v1_controllers", stringsJson(v1Controllers));
        o.set("cgroup_roots", stringsJson(cgroupRoots));
        o.set("cgroups", stringsJson(cgroups));
        o.set("files", stringsJson(files));
        o.put("state_dir_created", stateDirCreated);
        o.put("systemd_scope", systemdScope);
        return o;
    }

    /** The state a file's JSON holds; unknown fields are ignored, a field of the wrong type is an error. */
    static StateFile parse(JsonNode n) throws IOException {
        if (n == null || !n.isObject()) {
            throw new IOException("not a JSON object");
        }
        JsonNode created = n.path("state_dir_created");
        if (!created.isMissingNode() && !created.isBoolean()) {
            throw new IOException("state_dir_created is not a boolean");
        }
        return new StateFile(text(n, "id"), identity(n, "supervisor"), identity(n, "qemu"), identity(n, "virtiofsd"),
                text(n, "hierarchy"), strings(n, "v1_controllers"), strings(n, "cgroup_roots"), strings(n, "cgroups"),
                strings(n, "files"), created.asBoolean(false), text(n, "systemd_scope"));
    }

    private static JsonNode identityJson(ProcessIdentity p) {
        if (p == null) {
            return NullNode.getInstance();
        }
        ObjectNode o = JsonTrees.object();
        o.put("pid", p.pid());
        o.put("start_time", p.startTime());
        o.put("comm", p.comm());
        return o;
    }

    private static JsonNode stringsJson(List<String> values) {
        ArrayNode a = JsonTrees.array();
        values.forEach(a::add);
        return a;
    }

    private static String text(JsonNode n, String field) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new IOException(field + " is not a string");
        }
        return v.asText();
    }

    private static ProcessIdentity identity(JsonNode n, String field) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject() || !v.path("pid").isIntegralNumber() || !v.path("start_time").isIntegralNumber()) {
            throw new IOException(field + " is not a process (pid, start_time, comm)");
        }
        return new ProcessIdentity(v.get("pid").asLong(), v.get("start_time").asLong(), text(v, "comm"));
    }

    private static List<String> strings(JsonNode n, String field) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new IOException(field + " is not a list");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw new IOException(field + " holds something that is not a string");
            }
            out.add(e.asText());
        }
        return out;
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

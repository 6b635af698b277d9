package dev.vmsup.cgroupfs.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.Errno;

/** The lines of {@code /proc/<pid>/cgroup} (or a thread's): hierarchy id, controllers, path. */
public record ProcCgroupFile(List<Line> lines) {
    /** One hierarchy's line; {@code controllers} is empty for the v2 line ("0::/path"). */
    public record Line(int hierarchyId, Set<String> controllers, String path) {
    }

    public static ProcCgroupFile parse(String text) {
        List<Line> lines = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int a = line.indexOf(':');
            int b = line.indexOf(':', a + 1);
            if (a < 0 || b < 0) {
                throw new IllegalArgumentException("malformed cgroup line: " + line);
            }
            String ctrl = line.substring(a + 1, b);
            Set<String> controllers = ctrl.isEmpty() ? Set.of() : Set.of(ctrl.split(","));
            lines.add(new Line(Integer.parseInt(line.substring(0, a)), controllers, line.substring(b + 1)));
        }
        return new ProcCgroupFile(lines);
    }

    /** Reads the file of one thread; ESRCH if it is gone. */
    public static ProcCgroupFile read(Path procRoot, int pid, int tid) {
        Path file = procRoot.resolve(pid + "/task/" + tid + "/cgroup");
        try {
            return parse(CgroupFiles.read(file));
        } catch (CgroupException e) {
            if (e.errno() == Errno.ENOENT) {
                throw new CgroupException("read", file, null, Errno.ESRCH, "thread " + tid + " of " + pid + " is gone", e);
            }
            throw e;
        }
    }

    /** The path of the v1 hierarchy carrying {@code controller}, or null. */
    public String v1Path(String controller) {
        for (Line l : lines) {
            if (l.controllers().contains(controller)) {
                return l.path();
            }
        }
        return null;
    }

    /** The path in the v2 hierarchy ("0::"), or null. */
    public String v2Path() {
        for (Line l : lines) {
            if (l.hierarchyId() == 0 && l.controllers().isEmpty()) {
                return l.path();
            }
        }
        return null;
    }
}

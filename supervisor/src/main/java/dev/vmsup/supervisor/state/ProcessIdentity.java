package dev.vmsup.supervisor.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process named by pid and start time (field 22 of {@code /proc/<pid>/stat}, clock ticks since boot), so a
 * recycled pid is never mistaken for the process that was started.
 */
public record ProcessIdentity(long pid, long startTime) {

    /** The identity of a live process, read from {@code procRoot} (the host's {@code /proc}), or null if it does not exist. */
    public static ProcessIdentity of(Path procRoot, long pid) {
        Long start = startTime(procRoot, pid);
        return start == null ? null : new ProcessIdentity(pid, start);
    }

    private static Long startTime(Path procRoot, long pid) {
        try {
            String stat = Files.readString(procRoot.resolve(pid + "/stat"));
            // the command name may contain spaces and parentheses: fields are counted after the last ')'
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[19]);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** True if this exact process (same pid and start time) is still running and not a zombie. */
    public boolean alive(Path procRoot) {
        Long now = startTime(procRoot, pid);
        if (now == null || now != startTime) {
            return false;
        }
        try {
            String stat = Files.readString(procRoot.resolve(pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }
}

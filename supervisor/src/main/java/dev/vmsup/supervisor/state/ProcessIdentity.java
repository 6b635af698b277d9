package dev.vmsup.supervisor.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A process named by pid, start time (field 22 of {@code /proc/<pid>/stat}, clock ticks since boot) and command
 * name ({@code comm}), so that neither a recycled pid nor a forged record makes vmsup signal an unrelated process.
 */
public record ProcessIdentity(long pid, long startTime, String comm) {
    /** The kernel keeps 15 bytes of a command name. */
    private static final int COMM_LENGTH = 15;

    /** The identity of a live process as it is now, or null if it does not exist; {@code procRoot} is /proc. */
    public static ProcessIdentity of(Path procRoot, long pid) {
        return of(procRoot, pid, comm(procRoot, pid));
    }

    /**
     * A child that is about to exec {@code executable} (it may still run the launcher's name): its pid and start
     * time now, and the name the kernel will give it.
     */
    public static ProcessIdentity child(Path procRoot, long pid, Path executable) {
        String name = executable.getFileName().toString();
        return of(procRoot, pid, name.length() > COMM_LENGTH ? name.substring(0, COMM_LENGTH) : name);
    }

    private static ProcessIdentity of(Path procRoot, long pid, String comm) {
        Long start = startTime(procRoot, pid);
        return start == null || comm == null ? null : new ProcessIdentity(pid, start, comm);
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

    private static String comm(Path procRoot, long pid) {
        try {
            return Files.readString(procRoot.resolve(pid + "/comm")).strip();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * True if this exact process (same pid, start time and command name) is still running and not a zombie. A record
     * without a command name (written by an older vmsup) never matches: it cannot be verified.
     */
    public boolean alive(Path procRoot) {
        Long now = startTime(procRoot, pid);
        if (now == null || now != startTime || comm == null || !comm.equals(comm(procRoot, pid))) {
            return false;
        }
        try {
            String stat = Files.readString(procRoot.resolve(pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    // Written out: the record's generated pair bootstraps java.lang.runtime.ObjectMethods at its first call, on the
    // start path of a re-executed image (it compares itself with the state file's record)
    @Override
    public boolean equals(Object o) {
        return o instanceof ProcessIdentity other && pid == other.pid && startTime == other.startTime
                && Objects.equals(comm, other.comm);
    }

    @Override
    public int hashCode() {
        return Objects.hash(pid, startTime, comm);
    }
}

package dev.vmsup.supervisor.cli;

import java.nio.file.Path;
import java.util.Set;

/**
 * The short way into {@code vmsup run}: a command line made only of {@link RunCommand}'s own options, each at most
 * once, in the forms {@code --name value}, {@code --name=value} or a bare flag, is read here without building
 * picocli's model of the command (over 100 ms of every start, paid twice since vmsup re-executes itself). Anything
 * else (help, an unknown or repeated option, a value that starts with '-' or '@', a number that does not parse, a
 * missing {@code --id}) gives null, and the command line goes through picocli, which accepts or refuses it exactly
 * as before. {@code PlainRunArgsTest} keeps the names here equal to RunCommand's {@code @Option}s.
 */
final class PlainRunArgs {
    /** The options that take a value. */
    static final Set<String> VALUED = Set.of("--id", "--config", "--vcpus", "--max-vcpus", "--memory", "--kernel",
            "--initrd", "--append", "--accel", "--cgroup-parent", "--systemd-cgroup", "--overhead-cgroup",
            "--state-dir", "--api-socket", "--share", "--serial", "--containers", "--ready-fd");
    /** The options that take none. */
    static final Set<String> FLAGS = Set.of("--paused", "--sandbox-cgroup-only");

    private PlainRunArgs() {
    }

    /** The command the arguments after {@code run} describe, or null when picocli must read them. */
    static RunCommand parse(String[] args) {
        RunCommand c = new RunCommand();
        Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            int eq = a.indexOf('=');
            String name = eq < 0 ? a : a.substring(0, eq);
            if (!seen.add(name)) {
                return null;
            }
            if (FLAGS.contains(name) && eq < 0) {
                if (name.equals("--paused")) {
                    c.paused = true;
                } else {
                    c.sandboxCgroupOnly = true;
                }
                continue;
            }
            if (!VALUED.contains(name)) {
                return null;
            }
            String value = eq >= 0 ? a.substring(eq + 1) : ++i < args.length ? args[i] : null;
            if (value == null || value.isEmpty() || value.startsWith("-") || value.startsWith("@")
                    || !set(c, name, value)) {
                return null;
            }
        }
        return c.id == null ? null : c;
    }

    private static boolean set(RunCommand c, String name, String v) {
        switch (name) {
            case "--id" -> c.id = v;
            case "--config" -> c.config = Path.of(v);
            case "--kernel" -> c.kernel = v;
            case "--initrd" -> c.initrd = v;
            case "--append" -> c.append = v;
            case "--accel" -> c.accel = v;
            case "--cgroup-parent" -> c.cgroupParent = v;
            case "--systemd-cgroup" -> c.systemdCgroup = v;
            case "--overhead-cgroup" -> c.overheadCgroup = v;
            case "--state-dir" -> c.stateDir = v;
            case "--api-socket" -> c.apiSocket = v;
            case "--share" -> c.share = v;
            case "--serial" -> c.serial = v;
            case "--containers" -> c.containers = v;
            default -> {
                Integer n = number(v);
                if (n == null) {
                    return false;
                }
                switch (name) {
                    case "--vcpus" -> c.vcpus = n;
                    case "--max-vcpus" -> c.maxVcpus = n;
                    case "--memory" -> c.memory = n;
                    default -> c.readyFd = n;
                }
            }
        }
        return true;
    }

    private static Integer number(String v) {
        try {
            return Integer.valueOf(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}

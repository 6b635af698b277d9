package dev.vmsup.supervisor.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.CgroupHost;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.DeleteReport;
import dev.vmsup.cgroupfs.Hierarchy;
import dev.vmsup.supervisor.SupervisorException;

/**
 * Removes what a dead supervisor left, from its state file, with the sandbox's lock held by the caller (so no live
 * vmsup owns it). Nothing the file names is trusted blindly: a process is killed only if its pid, start time and
 * name all match; a cgroup is removed only if it lies directly under one of the recorded roots and is named after
 * the sandbox (tasks moved to the parent first); a file only if it is a socket, not a link. Then the state file
 * goes. Idempotent.
 */
public final class Cleanup {
    /**
     * What was done; {@code refused} when the sandbox's supervisor still runs; {@code stateDirCreated} when the
     * state dir was made for the sandbox (and may go once empty).
     */
    public record Result(boolean refused, List<String> actions, List<String> failures, boolean stateDirCreated) {
        public boolean clean() {
            return !refused && failures.isEmpty();
        }
    }

    private Cleanup() {
    }

    /**
     * Cleans up after the sandbox whose state is in {@code dir}; {@code expectedId} (if not null) must be the id
     * the state file names. An unreadable state file is moved aside and reported as a failure.
     */
    public static Result run(StateDir dir, CgroupHost host, String expectedId) {
        return run(dir, host, expectedId, unit -> {
            throw new SupervisorException("the sandbox's systemd scope " + unit + " cannot be stopped here");
        });
    }

    /** As {@link #run(StateDir, CgroupHost, String)}; {@code stopUnit} stops the systemd scope the state names. */
    public static Result run(StateDir dir, CgroupHost host, String expectedId, Consumer<String> stopUnit) {
        List<String> actions = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        StateFile state;
        try {
            state = dir.read();
        } catch (StateFile.UnreadableStateException e) {
            Path aside = dir.setAsideUnreadable();
            failures.add(e.getMessage() + "; moved aside to " + aside + ": what it recorded (cgroups, processes) "
                    + "cannot be checked and is left alone");
            return new Result(false, actions, failures, false);
        }
        if (state == null) {
            actions.add("no state file in " + dir.path() + ": nothing to clean");
            return new Result(false, actions, failures, false);
        }
        if (expectedId != null && !expectedId.equals(state.id())) {
            failures.add("state file " + StateFile.path(dir.path()) + " names sandbox '" + state.id() + "', not '"
                    + expectedId + "': refusing it");
            return new Result(false, actions, failures, false);
        }
        Path proc = host.procRoot();
        ProcessIdentity sup = state.supervisor();
        if (sup != null && sup.pid() != ProcessHandle.current().pid() && sup.alive(proc)) {
            return new Result(true, actions, List.of("sandbox " + state.id() + " is run by vmsup pid " + sup.pid()
                    + ", which is alive (use --force to clean up anyway)"), false);
        }
        kill("QEMU", state.qemu(), proc, actions, failures);
        kill("virtiofsd", state.virtiofsd(), proc, actions, failures);
        removeCgroups(state, host, actions, failures);
        if (state.systemdScope() != null) {
            try {
                stopUnit.accept(state.systemdScope());
                actions.add("stopped systemd scope " + state.systemdScope());
            } catch (RuntimeException e) {
                failures.add("systemd scope " + state.systemdScope() + ": " + e.getMessage());
            }
        }
        for (String f : state.files()) {
            removeSocket(Path.of(f), actions, failures);
        }
        if (failures.isEmpty()) {
            StateFile.delete(dir.path());
            actions.add("removed state file " + StateFile.path(dir.path()));
        }
        return new Result(false, actions, failures, state.stateDirCreated());
    }

    /** Kills {@code sup} if it is still the recorded process; true if it was (and is now gone). */
    public static boolean killSupervisor(ProcessIdentity sup, Path procRoot, List<String> actions,
            List<String> failures) {
        return sup != null && kill("vmsup", sup, procRoot, actions, failures);
    }

    private static void removeCgroups(StateFile state, CgroupHost host, List<String> actions, List<String> failures) {
        if (state.cgroups().isEmpty()) {
            return;
        }
        try {
            Hierarchy h = "v2".equals(state.hierarchy()) ? host.v2() : host.v1(Set.copyOf(state.v1Controllers()));
            for (String c : state.cgroups()) {
                CgroupPath path = CgroupPath.of(c);
                if (!ownedBySandbox(state, path)) {
                    failures.add("cgroup " + c + " is not directly under " + state.cgroupRoots()
                            + " or not named after sandbox '" + state.id() + "': left alone");
                    continue;
                }
                DeleteReport r = h.remove(path); // also where a crash left it in only some hierarchies
                r.removed().forEach(p -> actions.add("removed cgroup " + p));
                r.failures().forEach(fl -> failures.add("cgroup " + fl.path() + " left: " + fl.cause().getMessage()));
            }
        } catch (CgroupException | IllegalArgumentException e) {
            failures.add("cgroups: " + e.getMessage());
        }
    }

    /** A sandbox's own cgroups are {@code <root>/<prefix><id>}: a direct child of a recorded root, named after it. */
    static boolean ownedBySandbox(StateFile state, CgroupPath path) {
        if (path.isRoot() || !path.name().endsWith(state.id())) {
            return false;
        }
        return state.cgroupRoots().stream().map(CgroupPath::of).anyMatch(root -> path.parent().equals(root));
    }

    private static void removeSocket(Path file, List<String> actions, List<String> failures) {
        try {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            int mode = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & 0170000) != 0140000) { // S_IFSOCK; a link, a file or a directory is not ours to remove
                failures.add(file + " is not a socket: left alone");
                return;
            }
            Files.delete(file);
            actions.add("removed " + file);
        } catch (IOException e) {
            failures.add("cannot remove " + file + ": " + e.getMessage());
        }
    }

    /** The names a process of each role can have: what vmsup starts, never anything else. */
    private static boolean nameFits(String role, String comm) {
        return switch (role) {
            case "QEMU" -> comm.startsWith("qemu");
            case "virtiofsd" -> comm.contains("virtiofsd");
            default -> comm.equals("java") || comm.equals("vmsup");
        };
    }

    private static boolean kill(String what, ProcessIdentity p, Path procRoot, List<String> actions,
            List<String> failures) {
        if (p == null || !p.alive(procRoot)) {
            return false;
        }
        if (!nameFits(what, p.comm())) {
            failures.add("the state file's " + what + " (pid " + p.pid() + ") is a '" + p.comm() + "' process, not "
                    + what + ": left alone");
            return false;
        }
        ProcessHandle h = ProcessHandle.of(p.pid()).orElse(null);
        if (h == null) {
            return false;
        }
        h.destroyForcibly();
        try {
            h.onExit().get(10, TimeUnit.SECONDS);
            actions.add("killed " + what + " pid " + p.pid());
            return true;
        } catch (Exception e) {
            failures.add(what + " pid " + p.pid() + " did not exit after SIGKILL");
            return false;
        }
    }
}

package dev.vmsup.supervisor.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.CgroupHost;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.DeleteReport;
import dev.vmsup.cgroupfs.Hierarchy;

/**
 * Removes what a dead supervisor left, from its state file: kills the QEMU and virtiofsd it started (only if pid
 * and start time still match, never by name), removes the cgroups it created (tasks moved to the parent first),
 * its sockets and files, then the state file. Idempotent. Refuses while that supervisor is alive, unless forced.
 */
public final class Cleanup {
    /** What was done; {@code refused} when the sandbox's supervisor still runs. */
    public record Result(boolean refused, List<String> actions, List<String> failures) {
        public boolean clean() {
            return !refused && failures.isEmpty();
        }
    }

    private Cleanup() {
    }

    public static Result run(Path stateDir, CgroupHost host, boolean force) {
        List<String> actions = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        StateFile state = StateFile.read(stateDir);
        if (state == null) {
            actions.add("no state file in " + stateDir + ": nothing to clean");
            return new Result(false, actions, failures);
        }
        ProcessIdentity sup = state.supervisor();
        boolean self = sup != null && sup.pid() == ProcessHandle.current().pid();
        if (sup != null && !self && sup.alive(host.procRoot())) {
            if (!force) {
                return new Result(true, actions, List.of("sandbox " + state.id() + " is run by vmsup pid " + sup.pid()
                        + ", which is alive (use --force to clean up anyway)"));
            }
            kill("vmsup", sup, host.procRoot(), actions, failures);
        }
        kill("QEMU", state.qemu(), host.procRoot(), actions, failures);
        kill("virtiofsd", state.virtiofsd(), host.procRoot(), actions, failures);
        if (!state.cgroups().isEmpty()) {
            try {
                Hierarchy h = "v2".equals(state.hierarchy()) ? host.v2() : host.v1(Set.copyOf(state.v1Controllers()));
                for (String c : state.cgroups()) {
                    CgroupPath path = CgroupPath.of(c);
                    if (!h.exists(path)) {
                        continue;
                    }
                    DeleteReport r = h.load(path).delete();
                    r.removed().forEach(p -> actions.add("removed cgroup " + p));
                    r.failures().forEach(fl -> failures.add("cgroup " + fl.path() + " left: " + fl.cause().getMessage()));
                }
            } catch (CgroupException | IllegalArgumentException e) {
                failures.add("cgroups: " + e.getMessage());
            }
        }
        for (String f : state.files()) {
            try {
                if (Files.deleteIfExists(Path.of(f))) {
                    actions.add("removed " + f);
                }
            } catch (IOException e) {
                failures.add("cannot remove " + f + ": " + e.getMessage());
            }
        }
        if (failures.isEmpty()) {
            StateFile.delete(stateDir);
            actions.add("removed state file " + StateFile.path(stateDir));
            if (state.stateDirCreated()) {
                try {
                    Files.deleteIfExists(stateDir);
                } catch (IOException e) {
                    actions.add("kept " + stateDir + " (not empty)");
                }
            }
        }
        return new Result(false, actions, failures);
    }

    private static void kill(String what, ProcessIdentity p, Path procRoot, List<String> actions,
            List<String> failures) {
        if (p == null || !p.alive(procRoot)) {
            return;
        }
        ProcessHandle.of(p.pid()).ifPresent(h -> {
            h.destroyForcibly();
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
                actions.add("killed " + what + " pid " + p.pid());
            } catch (Exception e) {
                failures.add(what + " pid " + p.pid() + " did not exit after SIGKILL");
            }
        });
    }
}

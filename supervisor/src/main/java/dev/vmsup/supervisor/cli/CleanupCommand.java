package dev.vmsup.supervisor.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.vmsup.cgroupfs.CgroupHost;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import dev.vmsup.supervisor.SupervisorException;
import dev.vmsup.supervisor.config.ConfigLoader;
import dev.vmsup.supervisor.config.SandboxId;
import dev.vmsup.supervisor.config.Settings;
import dev.vmsup.supervisor.state.Cleanup;
import dev.vmsup.supervisor.state.ProcessIdentity;
import dev.vmsup.supervisor.state.StateDir;
import dev.vmsup.supervisor.state.StateFile;
import dev.vmsup.supervisor.systemd.SystemdManager;

/** {@code vmsup cleanup}: removes what a dead supervisor left behind, from its state file. */
@Command(name = "cleanup", mixinStandardHelpOptions = true,
        description = "Remove what a dead vmsup left: the QEMU/virtiofsd it started (matched by pid and start time), "
                + "the cgroups it created, its sockets and its state file. Safe to run twice.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:clean (or nothing to clean)", "1:something could not be removed, or the supervisor is alive",
                "2:usage error"})
final class CleanupCommand implements Callable<Integer> {
    static final class Target {
        @Option(names = "--id", description = "The sandbox id (its state is in <state_dir>/<id>).")
        String id;

        @Option(names = "--all", description = "Every sandbox with a state file under the state dir base.")
        boolean all;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Option(names = "--state-dir", description = "The sandbox's state dir, as given to vmsup run (with --id).")
    Path stateDir;

    @Option(names = "--config", description = "TOML configuration (for state_dir).")
    Path config;

    @Option(names = "--force", description = "Act even if the sandbox's supervisor is alive (it is killed first).")
    boolean force;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Settings settings = ConfigLoader.load(config);
        List<Path> dirs = new ArrayList<>();
        if (target.all) {
            Path base = Path.of(settings.stateBase());
            if (Files.isDirectory(base)) {
                try (Stream<Path> s = Files.list(base)) {
                    s.filter(d -> Files.exists(StateFile.path(d))).sorted().forEach(dirs::add);
                }
            }
            if (dirs.isEmpty()) {
                out.println("vmsup cleanup: no sandbox state under " + base);
            }
        } else {
            SandboxId id = new SandboxId(target.id);
            dirs.add(stateDir != null ? stateDir : Path.of(settings.stateBase()).resolve(id.value()));
        }
        CgroupHost host = CgroupHost.detect();
        int code = ExitCodes.OK;
        for (Path dir : dirs) {
            List<String> actions = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            if (!clean(dir, host, target.all ? null : target.id, actions, failures)) {
                code = ExitCodes.FAILURE;
            }
            actions.forEach(a -> out.println("vmsup cleanup: " + a));
            failures.forEach(f -> err.println("vmsup cleanup: " + f));
        }
        out.flush();
        return code;
    }

    /**
     * Cleans one state dir: checked (owner, mode, no link), then locked, so a live vmsup's sandbox is refused
     * unless {@code --force}, which kills that vmsup (if it is still the recorded process) and takes the lock.
     */
    private boolean clean(Path path, CgroupHost host, String expectedId, List<String> actions, List<String> failures) {
        StateDir dir;
        try {
            dir = StateDir.existing(path);
        } catch (SupervisorException e) {
            failures.add(e.getMessage());
            return false;
        }
        if (dir == null) {
            actions.add("no state dir " + path + ": nothing to clean");
            return true;
        }
        if (!dir.tryLock()) {
            ProcessIdentity owner = readQuietly(dir);
            if (!force) {
                failures.add("sandbox in " + path + " is run by vmsup" + (owner == null ? "" : " pid " + owner.pid())
                        + ", which is alive: it holds " + path.resolve("lock") + " (use --force to clean up anyway)");
                return false;
            }
            Cleanup.killSupervisor(owner, host.procRoot(), actions, failures);
            if (!awaitLock(dir)) {
                failures.add(path.resolve("lock") + " is still held: not cleaned");
                return false;
            }
        }
        Cleanup.Result r = Cleanup.run(dir, host, expectedId, SystemdManager::stopNow);
        actions.addAll(r.actions());
        failures.addAll(r.failures());
        if (r.clean()) {
            dir.remove(r.stateDirCreated());
        } else {
            dir.unlock();
        }
        return r.clean();
    }

    private static ProcessIdentity readQuietly(StateDir dir) {
        try {
            StateFile state = dir.read();
            return state == null ? null : state.supervisor();
        } catch (SupervisorException e) {
            return null;
        }
    }

    /** The lock of a supervisor just killed is released as the kernel reaps it: a bounded wait. */
    private static boolean awaitLock(StateDir dir) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!dir.tryLock()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
